/**
 * The inbox stream of one device: first its pending envelopes in queue order, then one `drained` marker,
 * then envelopes live as they are stored. The queue in PostgreSQL is the source of truth; `envelopeStored`
 * events only wake the stream, which then reads the queue after the last envelope it sent, so a lost or
 * duplicated wake-up loses or duplicates nothing. Envelopes stay queued until acknowledged: a new stream
 * (after a reconnect) starts again from the oldest unacknowledged one.
 *
 * One live stream per device: opening one publishes `inboxControl { openedStreamId }`; every other stream of that device, on
 * any instance, ends with `CONNECTED_ELSEWHERE` (Signal's 4409 "connected elsewhere").
 *
 * Built on a Repeater so that a client closing the subscription ends the stream at once, even while it is
 * waiting for a wake-up (no leaked iterators or listeners).
 */
import { randomUUID } from 'node:crypto';
import { Repeater } from 'graphql-yoga';
import type { EventBus } from './pubsub.js';

export type InboxItem<E> = { kind: 'envelope'; envelope: E } | { kind: 'drained' } | { kind: 'ended'; reason: 'CONNECTED_ELSEWHERE' | 'DEVICE_REMOVED' };

export interface InboxQueue<E extends { id: string }> {
  /** Pending envelopes of the device with id > afterId (all if null), in queue order. */
  pending(deviceUuid: string, afterId: string | null, limit: number): Promise<E[]>;
}

/** Wakes waiters; a waiter armed before a notify() is released by it even if it awaits later. */
class Notifier {
  private waiters: (() => void)[] = [];
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  arm(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Drains an event subscription in the background, calling `on` for each event, until it is returned. */
function pump<T>(it: AsyncIterableIterator<T>, on: (v: T) => void): void {
  void (async () => {
    try {
      for await (const v of it) on(v);
    } catch {
      // subscription closed
    }
  })();
}

let openStreams = 0;
/** Live inbox streams in this process (for leak checks and metrics). */
export const inboxStreamCount = () => openStreams;

export function inboxStream<E extends { id: string }>(opts: {
  deviceUuid: string;
  queue: InboxQueue<E>;
  bus: EventBus;
  pageSize?: number;
}): Repeater<InboxItem<E>> {
  const { deviceUuid, queue, bus } = opts;
  const pageSize = opts.pageSize ?? 500;
  return new Repeater<InboxItem<E>>(async (push, stop) => {
    openStreams++;
    const streamId = randomUUID();
    const wake = new Notifier();
    let ended: 'CONNECTED_ELSEWHERE' | 'DEVICE_REMOVED' | null = null;
    let stopped = false;
    void stop.then(() => {
      stopped = true;
      wake.notify();
    });
    const stored = bus.subscribe('envelopeStored', deviceUuid);
    const control = bus.subscribe('inboxControl', deviceUuid);
    pump(stored, () => wake.notify());
    pump(control, (p) => {
      if (p.removed) ended = 'DEVICE_REMOVED';
      else if (p.openedStreamId !== streamId) ended = 'CONNECTED_ELSEWHERE';
      else return;
      wake.notify();
    });
    bus.publish('inboxControl', deviceUuid, { openedStreamId: streamId });
    try {
      let last: string | null = null;
      let drained = false;
      while (!stopped) {
        if (ended) {
          await push({ kind: 'ended', reason: ended });
          break;
        }
        const woken = wake.arm();
        const page = await queue.pending(deviceUuid, last, pageSize);
        for (const envelope of page) {
          if (stopped || ended) break;
          await push({ kind: 'envelope', envelope });
          last = envelope.id;
        }
        if (stopped || ended || page.length === pageSize) continue;
        if (!drained) {
          drained = true;
          await push({ kind: 'drained' });
        }
        await woken;
      }
    } finally {
      openStreams--;
      await Promise.all([stored.return?.(), control.return?.()]);
      stop();
    }
  });
}
