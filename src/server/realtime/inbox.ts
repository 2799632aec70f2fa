/**
 * The inbox stream of one device: first its pending envelopes in queue order, then one `drained` marker,
 * then envelopes live as they are stored. The queue in PostgreSQL is the source of truth; `envelopeStored`
 * events wake the stream, which then reads the queue after the last envelope it sent. Envelope ids come
 * from a sequence, and concurrent senders can commit a lower id after a higher one was already sent, so
 * the ids announced by events are also fetched by id when they are below that mark. Envelopes stay queued
 * until acknowledged: a new stream (after a reconnect) starts again from the oldest unacknowledged one,
 * so nothing is lost even if an event is.
 *
 * Once the backlog is drained, envelopes that ride on their `envelopeStored` event (small ones) are pushed
 * as they come, without reading the queue back; an event without its envelope, or RESYNC_MS without a
 * read while events keep coming, makes the stream read the queue again (which also finds an envelope whose
 * event was lost, e.g. during a Redis reconnect). Ids already sent on the stream are never sent twice.
 *
 * One live stream per device: opening one publishes `inboxControl { openedStreamId }`; every other stream of that device, on
 * any instance, ends with `CONNECTED_ELSEWHERE` (Signal's 4409 "connected elsewhere").
 *
 * Built on a Repeater so that a client closing the subscription ends the stream at once, even while it is
 * waiting for a wake-up (no leaked iterators or listeners).
 */
import { randomUUID } from 'node:crypto';
import { Repeater } from 'graphql-yoga';

export type InboxItem<E> = { kind: 'envelope'; envelope: E } | { kind: 'drained' } | { kind: 'ended'; reason: 'CONNECTED_ELSEWHERE' | 'DEVICE_REMOVED' };

export interface InboxQueue<E extends { id: string }> {
  /** Pending envelopes of the device with id > afterId (all if null), in queue order. */
  pending(deviceUuid: string, afterId: string | null, limit: number): Promise<E[]>;
  /** The device's still-pending envelopes among `ids`. */
  byIds(deviceUuid: string, ids: string[]): Promise<E[]>;
}

/** What the stream hears and says about one device's queue (the messages domain wires it to its event bus). */
export interface InboxSignals<E> {
  /** An envelope was stored for the device; `envelope` is set when it rode along on the event. Returns an unlisten function. */
  onStored(deviceUuid: string, listener: (envelopeId: string, envelope: E | undefined) => void): () => void;
  /** Another stream opened for the device (`openedStreamId`), or the device was removed. Returns an unlisten function. */
  onControl(deviceUuid: string, listener: (c: { openedStreamId?: string; removed?: boolean }) => void): () => void;
  /** Tells every stream of the device, on every instance, that this one opened. */
  opened(deviceUuid: string, streamId: string): void;
  /** The stream is live (true, before its first read) or ended (false): device activity for push. Must not throw. */
  live?(deviceUuid: string, open: boolean): void;
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

/** Most ids a stream remembers as sent (a bound; normally the grace period below prunes them long before). */
const SENT_MEMORY = 20_000;
/**
 * After a complete read of the queue, an id sent more than this long before the read began is forgotten: a
 * later read cannot return it (it was in that read, so below the new `last`, or it was acknowledged), and an
 * announcement of it arriving this late (it would be streamed again; clients recognise envelope ids) would
 * mean the bus held it back for this long.
 */
const SENT_GRACE_MS = 30_000;
/** While live envelopes arrive on their events, the queue is still read at least this often. */
const RESYNC_MS = 10_000;
let openStreams = 0;
/** The sent-id memories of the live streams (for inboxRememberedIds). */
const memories = new Set<Map<string, number>>();
/** Live inbox streams in this process (for leak checks and metrics). */
export const inboxStreamCount = () => openStreams;
/** Envelope ids the live streams of this process remember as sent (for leak checks). */
export const inboxRememberedIds = () => {
  let n = 0;
  for (const m of memories) n += m.size;
  return n;
};

export function inboxStream<E extends { id: string }>(opts: {
  deviceUuid: string;
  queue: InboxQueue<E>;
  signals: InboxSignals<E>;
  pageSize?: number;
  /** Read the queue at least this often while live envelopes arrive on their events (default RESYNC_MS). */
  resyncMs?: number;
  /** How long a sent id is remembered past a complete read that began after it (default SENT_GRACE_MS). */
  sentGraceMs?: number;
}): Repeater<InboxItem<E>> {
  const { deviceUuid, queue, signals } = opts;
  const pageSize = opts.pageSize ?? 500;
  const resyncMs = opts.resyncMs ?? RESYNC_MS;
  const sentGraceMs = opts.sentGraceMs ?? SENT_GRACE_MS;
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

    /** Announced ids not yet sent on this stream (only those below `last` need fetching by id). */
    const announced = new Set<string>();
    let last: bigint = -1n;
    /** Envelopes that came on their events, in arrival order (used once the backlog is drained). */
    let carried: E[] = [];
    /** An event came without its envelope: read the queue. */
    let mustRead = false;
    let drained = false;
    let lastRead = 0;
    const unlistenStored = signals.onStored(deviceUuid, (envelopeId, envelope) => {
      if (drained && envelope) carried.push(envelope);
      else {
        mustRead = true;
        if (BigInt(envelopeId) <= last) announced.add(envelopeId);
      }
      wake.notify();
    });
    const unlistenControl = signals.onControl(deviceUuid, (p) => {
      if (p.removed) ended = 'DEVICE_REMOVED';
      else if (p.openedStreamId !== streamId) ended = 'CONNECTED_ELSEWHERE';
      else return;
      wake.notify();
    });
    signals.opened(deviceUuid, streamId);
    /**
     * Ids sent on this stream, with when (an announcement can arrive after its envelope was read, and a read
     * returns what came on events and is not acknowledged yet), in the order sent; pruned after each complete
     * read (SENT_GRACE_MS), so a long-lived stream keeps only its recent ones.
     */
    const sent = new Map<string, number>();
    memories.add(sent);
    signals.live?.(deviceUuid, true);
    try {
      /** Pushes the envelopes not sent on this stream yet, in order, until the stream stops or ends. */
      const deliver = async (envelopes: E[], onEach?: (e: E) => void) => {
        for (const envelope of envelopes) {
          if (stopped || ended) return;
          onEach?.(envelope);
          if (sent.has(envelope.id)) continue;
          sent.set(envelope.id, performance.now());
          if (sent.size > SENT_MEMORY) sent.delete(sent.keys().next().value!);
          await push({ kind: 'envelope', envelope });
        }
      };
      while (!stopped) {
        if (ended) {
          await push({ kind: 'ended', reason: ended });
          break;
        }
        const woken = wake.arm();
        if (drained && !mustRead && performance.now() - lastRead < resyncMs) {
          // live: push what came on the events
          const batch = carried;
          carried = [];
          await deliver(batch);
          await woken;
          continue;
        }
        // read the queue: what came on events is in the page (id > last) or fetched by id (a late commit)
        for (const envelope of carried) if (BigInt(envelope.id) <= last) announced.add(envelope.id);
        carried = [];
        mustRead = false;
        const readStarted = performance.now();
        lastRead = readStarted;
        const late = [...announced].filter((id) => !sent.has(id));
        announced.clear();
        const [page, stragglers] = await Promise.all([
          queue.pending(deviceUuid, last < 0n ? null : last.toString(), pageSize),
          late.length ? queue.byIds(deviceUuid, late) : Promise.resolve([] as E[]),
        ]);
        await deliver(stragglers);
        await deliver(page, (e) => {
          last = BigInt(e.id);
        });
        if (stopped || ended || page.length === pageSize) continue;
        // the read was complete: what was sent before it began (less a grace period) is not needed any more
        for (const [id, at] of sent) {
          if (at >= readStarted - sentGraceMs) break;
          sent.delete(id);
        }
        if (!drained) {
          drained = true;
          await push({ kind: 'drained' });
        }
        await woken;
      }
    } finally {
      openStreams--;
      memories.delete(sent);
      signals.live?.(deviceUuid, false);
      unlistenStored();
      unlistenControl();
      stop();
    }
  });
}
