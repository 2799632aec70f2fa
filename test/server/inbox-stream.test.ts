/**
 * The inbox stream's ordering logic against an in-memory queue: envelope ids come from a sequence, and a
 * lower id can commit after a higher one was already streamed. Such an envelope must still be streamed
 * live (not only after a reconnect), and a late announcement of an envelope already streamed must not
 * stream it twice.
 */
import { describe, expect, it } from 'vitest';
import type { Topics } from '../../src/server/events.js';
import type { EnvelopeWire } from '../../src/server/messages/envelope.js';
import { createEventBus, type EventBus } from '../../src/server/realtime/bus.js';
import { type InboxSignals, inboxRememberedIds, inboxStream } from '../../src/server/realtime/inbox.js';

type Env = { id: string };

/** The stream's signals over a real in-process bus (as MessagesService.inboxSignals wires them). */
function signals(bus: EventBus<Topics>): InboxSignals<Env> {
  return {
    onStored: (d, l) => bus.listen('envelopeStored', d, (p) => l(p.envelopeId, p.envelope ? { id: p.envelope.id } : undefined)),
    onControl: (d, l) => bus.listen('inboxControl', d, l),
    opened: (d, streamId) => bus.publish('inboxControl', d, { openedStreamId: streamId }),
  };
}

function memoryQueue() {
  const committed = new Map<string, Env[]>();
  return {
    reads: 0,
    commit(device: string, id: number) {
      const list = committed.get(device) ?? [];
      list.push({ id: String(id) });
      list.sort((a, b) => Number(a.id) - Number(b.id));
      committed.set(device, list);
    },
    async pending(device: string, after: string | null, limit: number) {
      this.reads++;
      return (committed.get(device) ?? []).filter((e) => after === null || BigInt(e.id) > BigInt(after)).slice(0, limit);
    },
    ack(device: string, ids: string[]) {
      committed.set(device, (committed.get(device) ?? []).filter((e) => !ids.includes(e.id)));
    },
    async byIds(device: string, ids: string[]) {
      return (committed.get(device) ?? []).filter((e) => ids.includes(e.id));
    },
  };
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) out.push((await it.next()).value);
  return out;
}

describe('inbox stream ordering', () => {
  it('streams an envelope whose lower id commits after a higher one was streamed, exactly once', async () => {
    const bus = createEventBus<Topics>();
    const queue = memoryQueue();
    const stream = inboxStream<Env>({ deviceUuid: 'd', queue, signals: signals(bus) })[Symbol.asyncIterator]();
    expect(await take(stream, 1)).toEqual([{ kind: 'drained' }]);
    // id 11 commits and is announced first; id 10 (allocated earlier) commits later
    queue.commit('d', 11);
    bus.publish('envelopeStored', 'd', { envelopeId: '11' });
    expect((await take(stream, 1))[0]).toEqual({ kind: 'envelope', envelope: { id: '11' } });
    queue.commit('d', 10);
    bus.publish('envelopeStored', 'd', { envelopeId: '10' });
    expect((await take(stream, 1))[0]).toEqual({ kind: 'envelope', envelope: { id: '10' } });
    // a duplicated or late announcement of something already streamed streams nothing
    queue.commit('d', 12);
    bus.publish('envelopeStored', 'd', { envelopeId: '12' });
    bus.publish('envelopeStored', 'd', { envelopeId: '12' });
    bus.publish('envelopeStored', 'd', { envelopeId: '11' });
    expect((await take(stream, 1))[0]).toEqual({ kind: 'envelope', envelope: { id: '12' } });
    queue.commit('d', 13);
    bus.publish('envelopeStored', 'd', { envelopeId: '13' });
    expect((await take(stream, 1))[0]).toEqual({ kind: 'envelope', envelope: { id: '13' } });
    await stream.return?.();
  });

  it('streams live envelopes that ride on their events without reading the queue back, and reads it for one that does not', async () => {
    const bus = createEventBus<Topics>();
    const queue = memoryQueue();
    const stream = inboxStream<Env>({ deviceUuid: 'c', queue, signals: signals(bus) })[Symbol.asyncIterator]();
    expect(await take(stream, 1)).toEqual([{ kind: 'drained' }]);
    const readsAfterDrain = queue.reads;
    for (const id of [20, 21, 22]) {
      queue.commit('c', id);
      bus.publish('envelopeStored', 'c', { envelopeId: String(id), envelope: { id: String(id) } as EnvelopeWire });
    }
    bus.publish('envelopeStored', 'c', { envelopeId: '21', envelope: { id: '21' } as EnvelopeWire }); // a duplicate event
    expect(await take(stream, 3)).toEqual([20, 21, 22].map((id) => ({ kind: 'envelope', envelope: { id: String(id) } })));
    expect(queue.reads).toBe(readsAfterDrain);
    // a large envelope is announced by id only: the stream reads the queue and streams it once
    queue.commit('c', 23);
    bus.publish('envelopeStored', 'c', { envelopeId: '23' });
    expect(await take(stream, 1)).toEqual([{ kind: 'envelope', envelope: { id: '23' } }]);
    expect(queue.reads).toBeGreaterThan(readsAfterDrain);
    await stream.return?.();
  });

  it('finds an envelope whose event was lost at the next read, at the latest resyncMs after the last one', async () => {
    const bus = createEventBus<Topics>();
    const queue = memoryQueue();
    const stream = inboxStream<Env>({ deviceUuid: 'l', queue, signals: signals(bus), resyncMs: 50 })[Symbol.asyncIterator]();
    expect(await take(stream, 1)).toEqual([{ kind: 'drained' }]);
    queue.commit('l', 30); // its event is lost
    await new Promise((r) => setTimeout(r, 80));
    queue.commit('l', 31);
    bus.publish('envelopeStored', 'l', { envelopeId: '31', envelope: { id: '31' } as EnvelopeWire });
    expect(await take(stream, 2)).toEqual([30, 31].map((id) => ({ kind: 'envelope', envelope: { id: String(id) } })));
    await stream.return?.();
  });

  it('a long-lived stream forgets the ids it sent once a complete read has passed them (no growth with every message), and still streams nothing twice', async () => {
    const bus = createEventBus<Topics>();
    const queue = memoryQueue();
    const before = inboxRememberedIds();
    const stream = inboxStream<Env>({ deviceUuid: 'f', queue, signals: signals(bus), resyncMs: 40, sentGraceMs: 0 })[Symbol.asyncIterator]();
    expect(await take(stream, 1)).toEqual([{ kind: 'drained' }]);
    const ids = Array.from({ length: 300 }, (_, i) => 100 + i);
    for (const id of ids) {
      queue.commit('f', id);
      bus.publish('envelopeStored', 'f', { envelopeId: String(id), envelope: { id: String(id) } as EnvelopeWire });
    }
    expect(await take(stream, ids.length)).toEqual(ids.map((id) => ({ kind: 'envelope', envelope: { id: String(id) } })));
    expect(inboxRememberedIds() - before).toBe(ids.length);
    // the first 200 are acknowledged; past resyncMs the next event makes the stream read the queue, which
    // returns the other 100 (sent already: not again), 400 (its event was lost) and 401
    queue.ack('f', ids.slice(0, 200).map(String));
    await new Promise((r) => setTimeout(r, 60));
    queue.commit('f', 400);
    queue.commit('f', 401);
    bus.publish('envelopeStored', 'f', { envelopeId: '401', envelope: { id: '401' } as EnvelopeWire });
    expect(await take(stream, 2)).toEqual([400, 401].map((id) => ({ kind: 'envelope', envelope: { id: String(id) } })));
    // that read was complete: once the stream goes on, the 300 sent before it began are forgotten (grace 0 here)
    const next = stream.next();
    await new Promise((r) => setTimeout(r, 60));
    expect(inboxRememberedIds() - before).toBe(2);
    // and the next read streams only what is new, not the 100 still unacknowledged
    queue.commit('f', 402);
    bus.publish('envelopeStored', 'f', { envelopeId: '402' });
    expect((await next).value).toEqual({ kind: 'envelope', envelope: { id: '402' } });
    const extra = stream.next();
    expect(await Promise.race([extra.then(() => 'streamed'), new Promise((r) => setTimeout(() => r('nothing'), 100))])).toBe('nothing');
    await stream.return?.();
    expect(inboxRememberedIds()).toBe(before);
  });

  it('ends at once when the client closes it while waiting', async () => {
    const bus = createEventBus<Topics>();
    const stream = inboxStream<Env>({ deviceUuid: 'e', queue: memoryQueue(), signals: signals(bus) })[Symbol.asyncIterator]();
    await take(stream, 1);
    const pending = stream.next();
    await stream.return?.();
    expect(await pending).toMatchObject({ done: true });
  });
});
