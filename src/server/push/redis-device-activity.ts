/**
 * Device activity across instances (REDIS_URL): a device streaming its inbox on instance B is online for the
 * notifier on instance A, so A does not push it.
 *
 * - Each instance keeps the devices it streams in the Redis set `push:streams:<instanceId>` (expiring unless
 *   refreshed, as the presence sets do; the instance itself is alive while its PresenceTracker heartbeat in
 *   `presence:instances` is recent: the same instance id).
 * - When a device's first stream on an instance opens or its last closes, the instance publishes
 *   `inboxPresence { deviceUuid, instanceId, online }`; every instance applies it to an in-memory replica
 *   (device -> instances streaming it).
 * - Pub/sub is at most once, so every `resyncMs` (30 s) the replica is rebuilt from the live instances' sets.
 * - `isOnline` reads local counts and the replica: synchronous, no I/O, as the notifier asks it on the send
 *   path. `activeSince` (asked only when a debounce window with absorbed envelopes closes) reads the
 *   `push:active:<device>` key, set when a stream closes and on an HTTP queue read, expiring after
 *   ACTIVITY_MEMORY_MS.
 *
 * Failures of Redis degrade to this instance's own view (a needless push rather than a missed one).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Bus } from '../events.js';
import { INSTANCE_SET_TTL_MS, otherLiveInstances } from '../realtime/presence.js';
import { ACTIVITY_MEMORY_MS, LocalDeviceActivity, type TrackedDeviceActivity } from './device-activity.js';

export const ACTIVITY_RESYNC_MS = 30_000;
const REFRESH_MS = 5_000;
const streamsKey = (instanceId: string) => `push:streams:${instanceId}`;
const activeKey = (deviceUuid: string) => `push:active:${deviceUuid}`;
/** The scope of the one `inboxPresence` channel every instance listens to. */
export const INBOX_PRESENCE_SCOPE = 'all';

export class RedisDeviceActivity implements TrackedDeviceActivity {
  private readonly local: LocalDeviceActivity;
  /** Devices streaming on other instances: device -> instance ids. */
  private readonly replica = new Map<string, Set<string>>();
  private timer?: NodeJS.Timeout;
  private unlisten?: () => void;
  private lastResync = 0;

  constructor(
    private readonly deps: {
      redis: Redis;
      bus: Bus;
      instanceId: string;
      log?: Logger;
      resyncMs?: number;
      now?: () => number;
    },
  ) {
    this.local = new LocalDeviceActivity(deps.now);
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private get ownKey(): string {
    return streamsKey(this.deps.instanceId);
  }

  async start(): Promise<void> {
    await this.deps.bus.ready();
    this.unlisten = this.deps.bus.listen('inboxPresence', INBOX_PRESENCE_SCOPE, (p) => this.apply(p.deviceUuid, p.instanceId, p.online));
    await this.resync();
    this.timer = setInterval(() => void this.tick(), REFRESH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unlisten?.();
    const devices = this.local.onlineDevices();
    try {
      await this.deps.redis.del(this.ownKey);
    } catch {
      // shutting down
    }
    for (const d of devices) this.announce(d, false);
    // the bus publishes without waiting: a command after them on the same connection returns once they are
    // through, so that closing the bus next rejects none of them (an unhandled rejection in the event target)
    await this.deps.redis.ping().catch(() => {});
    await this.local.stop();
    this.replica.clear();
  }

  streamOpened(deviceUuid: string): void {
    const first = !this.local.isOnline(deviceUuid);
    this.local.streamOpened(deviceUuid);
    if (!first) return;
    this.run(this.deps.redis.multi().sadd(this.ownKey, deviceUuid).pexpire(this.ownKey, INSTANCE_SET_TTL_MS).exec());
    this.announce(deviceUuid, true);
  }

  streamClosed(deviceUuid: string): void {
    this.local.streamClosed(deviceUuid);
    this.markActive(deviceUuid);
    if (this.local.isOnline(deviceUuid)) return;
    this.run(this.deps.redis.srem(this.ownKey, deviceUuid));
    this.announce(deviceUuid, false);
  }

  queueRead(deviceUuid: string): void {
    this.local.queueRead(deviceUuid);
    this.markActive(deviceUuid);
  }

  isOnline(deviceUuid: string): boolean {
    return this.local.isOnline(deviceUuid) || this.replica.has(deviceUuid);
  }

  async activeSince(deviceUuid: string, sinceMs: number): Promise<boolean> {
    if (this.isOnline(deviceUuid) || this.local.activeSince(deviceUuid, sinceMs)) return true;
    const at = await this.deps.redis.get(activeKey(deviceUuid));
    return at != null && Number(at) >= sinceMs;
  }

  /** Rebuilds the replica from the sets of the live instances (other than this one). */
  async resync(): Promise<void> {
    const { redis, instanceId } = this.deps;
    try {
      await redis.pexpire(this.ownKey, INSTANCE_SET_TTL_MS);
      const live = await otherLiveInstances(redis, instanceId, this.now);
      const pipe = redis.pipeline();
      for (const i of live) pipe.smembers(streamsKey(i));
      const res = live.length ? ((await pipe.exec()) ?? []) : [];
      const next = new Map<string, Set<string>>();
      res.forEach(([err, members], idx) => {
        if (err) return;
        for (const d of members as string[]) {
          const set = next.get(d) ?? new Set<string>();
          set.add(live[idx]);
          next.set(d, set);
        }
      });
      this.replica.clear();
      for (const [d, set] of next) this.replica.set(d, set);
      this.lastResync = this.now;
    } catch (err) {
      this.deps.log?.warn({ err }, 'push activity: resync from Redis failed');
    }
  }

  private async tick(): Promise<void> {
    if (this.now - this.lastResync >= (this.deps.resyncMs ?? ACTIVITY_RESYNC_MS)) await this.resync();
    else this.run(this.deps.redis.pexpire(this.ownKey, INSTANCE_SET_TTL_MS));
  }

  private apply(deviceUuid: string, instanceId: string, online: boolean): void {
    if (instanceId === this.deps.instanceId) return;
    const set = this.replica.get(deviceUuid);
    if (online) {
      if (set) set.add(instanceId);
      else this.replica.set(deviceUuid, new Set([instanceId]));
    } else if (set) {
      set.delete(instanceId);
      if (set.size === 0) this.replica.delete(deviceUuid);
    }
  }

  private announce(deviceUuid: string, online: boolean): void {
    try {
      this.deps.bus.publish('inboxPresence', INBOX_PRESENCE_SCOPE, { deviceUuid, instanceId: this.deps.instanceId, online });
    } catch (err) {
      this.deps.log?.warn({ err }, 'push activity: publish failed');
    }
  }

  private markActive(deviceUuid: string): void {
    this.run(this.deps.redis.set(activeKey(deviceUuid), String(this.now), 'PX', ACTIVITY_MEMORY_MS));
  }

  private run(p: Promise<unknown>): void {
    p.catch((err) => this.deps.log?.warn({ err }, 'push activity: Redis write failed'));
  }
}
