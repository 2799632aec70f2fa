/**
 * What the notifier needs to know about a device's connection, and nothing more: is it online now (no push
 * needed: its live stream delivers), and has it been active since a given time (it woke up and read its queue,
 * so envelopes stored after that need a new push). Both are asked on the send path's fan-out, so an
 * implementation must answer from memory or one Redis round trip, never from the database.
 *
 * LocalDeviceActivity is the one-instance implementation, fed by the inbox stream's open/close and by HTTP
 * queue reads. Across instances (REDIS_URL) RedisDeviceActivity (redis-device-activity.ts) has the same shape.
 */

export interface DeviceActivity {
  /** The device holds a live inbox stream now (on any instance). */
  isOnline(deviceUuid: string): boolean | Promise<boolean>;
  /**
   * The device had a live stream, or read its queue, at some time since `sinceMs` (epoch ms). Optional: without
   * it the notifier assumes yes (a duplicate wake-up, collapsed by the push service, rather than a missed one).
   */
  activeSince?(deviceUuid: string, sinceMs: number): boolean | Promise<boolean>;
}

/** The side that feeds activity: the inbox stream (open/close) and HTTP queue reads (wired in createServices). */
export interface DeviceActivityFeed {
  streamOpened(deviceUuid: string): void;
  streamClosed(deviceUuid: string): void;
  /** The device read its queue without a stream (an HTTP fetch, e.g. from a notification extension). */
  queueRead(deviceUuid: string): void;
}

/** What the app builds: both sides, and a lifecycle (a no-op for the local one). */
export interface TrackedDeviceActivity extends DeviceActivity, DeviceActivityFeed {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How long the time of a device's last activity is remembered: longer than any debounce window. */
export const ACTIVITY_MEMORY_MS = 15 * 60_000;

export class LocalDeviceActivity implements TrackedDeviceActivity {
  private readonly streams = new Map<string, number>();
  /** Last end of a stream or queue read per device, oldest first (re-inserted on update, pruned from the front). */
  private readonly lastActive = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.streams.clear();
  }

  /** Devices with a live stream in this process. */
  onlineDevices(): string[] {
    return [...this.streams.keys()];
  }

  streamOpened(deviceUuid: string): void {
    this.streams.set(deviceUuid, (this.streams.get(deviceUuid) ?? 0) + 1);
  }

  streamClosed(deviceUuid: string): void {
    const n = (this.streams.get(deviceUuid) ?? 1) - 1;
    if (n > 0) this.streams.set(deviceUuid, n);
    else this.streams.delete(deviceUuid);
    this.touch(deviceUuid);
  }

  /** The device read its queue without a stream (an HTTP fetch, e.g. from a notification extension). */
  queueRead(deviceUuid: string): void {
    this.touch(deviceUuid);
  }

  isOnline(deviceUuid: string): boolean {
    return this.streams.has(deviceUuid);
  }

  activeSince(deviceUuid: string, sinceMs: number): boolean {
    return this.streams.has(deviceUuid) || (this.lastActive.get(deviceUuid) ?? -Infinity) >= sinceMs;
  }

  private touch(deviceUuid: string): void {
    const now = this.now();
    this.lastActive.delete(deviceUuid);
    this.lastActive.set(deviceUuid, now);
    for (const [d, at] of this.lastActive) {
      if (now - at <= ACTIVITY_MEMORY_MS) break;
      this.lastActive.delete(d);
    }
  }
}
