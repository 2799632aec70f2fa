/**
 * The inbox stream's ordering logic against an in-memory queue: envelope ids come from a sequence, and a
 * lower id can commit after a higher one was already streamed. Such an envelope must still be streamed
 * live (not only after a reconnect), and a late announcement of an envelope already streamed must not
 * stream it twice.
 */
import { describe, expect, it } from 'vitest';
import { inboxStream } from '../../src/server/realtime/inbox.js';
import { createEventBus } from '../../src/server/realtime/pubsub.js';

type Env = { id: string };

function memoryQueue() {
  const committed = new Map<string, Env[]>();
  return {
    commit(device: string, id: number) {
      const list = committed.get(device) ?? [];
      list.push({ id: String(id) });
      list.sort((a, b) => Number(a.id) - Number(b.id));
      committed.set(device, list);
    },
    async pending(device: string, after: string | null, limit: number) {
      return (committed.get(device) ?? []).filter((e) => after === null || BigInt(e.id) > BigInt(after)).slice(0, limit);
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
    const bus = createEventBus();
    const queue = memoryQueue();
    const stream = inboxStream<Env>({ deviceUuid: 'd', queue, bus })[Symbol.asyncIterator]();
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

  it('ends at once when the client closes it while waiting', async () => {
    const bus = createEventBus();
    const stream = inboxStream<Env>({ deviceUuid: 'e', queue: memoryQueue(), bus })[Symbol.asyncIterator]();
    await take(stream, 1);
    const pending = stream.next();
    await stream.return?.();
    expect(await pending).toMatchObject({ done: true });
  });
});
