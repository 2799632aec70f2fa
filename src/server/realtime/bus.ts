/**
 * The typed event bus: infrastructure only, generic over the application's topic map (src/server/events.ts).
 * In one process it is in memory; with REDIS_URL every instance shares it through Redis pub/sub (at most
 * once, no replay: durable state lives in PostgreSQL, events only wake listeners). Payloads must be plain
 * JSON (ids, base64), since they cross Redis as JSON.
 *
 * Long-lived per-connection consumers use `listen` (a plain listener, no async iterator) or `stream` (a
 * Repeater fed by listeners: what a GraphQL subscription returns). A `stream` whose handler fails ends with
 * that error (the client sees it), never silently.
 */
import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub, Repeater } from 'graphql-yoga';
import { Redis } from 'ioredis';

/** Topics are `name: [payload]` (global) or `name: [id, payload]` (scoped by an id, e.g. a device or a user). */
export type TopicMap = { [topic: string]: [payload: unknown] | [id: string, payload: unknown] };

/** Topics scoped by an id (`topic:id`), and the payload of each. */
export type ScopedTopics<T extends TopicMap> = {
  [K in keyof T as T[K] extends [string, unknown] ? K : never]: T[K] extends [string, infer P] ? P : never;
};

/** One source of a `stream`: a scoped topic and what to do with each of its events. */
export interface StreamSource<O> {
  topic: string;
  id: string;
  handle(payload: never, push: (value: O) => Promise<unknown>, stop: () => void): Promise<void> | void;
}

/** Builds a typed StreamSource: each event of `topic` scoped to `id` is handed to `handle` in arrival order. */
export type SourceOf<T extends TopicMap, O> = <K extends keyof ScopedTopics<T> & string>(
  topic: K,
  id: string,
  handle: (payload: ScopedTopics<T>[K], push: (value: O) => Promise<unknown>, stop: () => void) => Promise<void> | void,
) => StreamSource<O>;

export type EventBus<T extends TopicMap> = PubSub<T> & {
  /** Calls `listener` for each event of `topic` scoped to `id` until the returned function is called. */
  listen<K extends keyof ScopedTopics<T> & string>(topic: K, id: string, listener: (payload: ScopedTopics<T>[K]) => void): () => void;
  /**
   * A Repeater over events of one or more scoped topics, handled in arrival order. It ends when the consumer
   * returns, when a handler calls `stop`, or with the error a handler throws.
   */
  stream<O>(
    sources: (source: SourceOf<T, O>) => StreamSource<O>[],
    opts?: { onStart?: (push: (value: O) => Promise<unknown>) => Promise<void> },
  ): Repeater<O>;
  /** A command connection to Redis when REDIS_URL is set (shared state such as presence). */
  redis?: Redis;
  /**
   * Resolves once both Redis connections are ready (at once without Redis). Subscribe only after it at start-up:
   * ioredis fails its ready check when a SUBSCRIBE was queued before the connection was up.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
};

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

/** yoga's pubsub dispatches `topic:id` events whose `detail` is the payload (see createPubSub). */
function listenOn(target: Target) {
  return (topic: string, id: string, listener: (payload: never) => void): (() => void) => {
    const type = `${topic}:${id}`;
    const handler = (e: Event) => listener((e as CustomEvent).detail as never);
    target.addEventListener(type, handler);
    return () => target.removeEventListener(type, handler);
  };
}

function streamOn<T extends TopicMap>(listen: ReturnType<typeof listenOn>): EventBus<T>['stream'] {
  return <O>(
    build: (source: SourceOf<T, O>) => StreamSource<O>[],
    opts: { onStart?: (push: (value: O) => Promise<unknown>) => Promise<void> } = {},
  ) =>
    new Repeater<O>(async (push, stop) => {
      const sources = build(((topic: string, id: string, handle: StreamSource<O>['handle']) => ({ topic, id, handle })) as SourceOf<T, O>);
      // onStart, then events one at a time in arrival order, on one promise chain
      let failed = false;
      const fail = (err: unknown) => {
        failed = true;
        stop(err);
      };
      let chain: Promise<void> = opts.onStart ? opts.onStart(push).catch(fail) : Promise.resolve();
      const unlisten = sources.map((s) =>
        listen(s.topic, s.id, (payload) => {
          chain = chain.then(async () => {
            if (failed) return;
            try {
              await s.handle(payload, push, () => stop());
            } catch (err) {
              fail(err);
            }
          });
        }),
      );
      try {
        await stop;
      } finally {
        for (const u of unlisten) u();
      }
    });
}

export function createEventBus<T extends TopicMap>(redisUrl?: string): EventBus<T> {
  if (!redisUrl) {
    const eventTarget = new EventTarget();
    // one listener per open stream of a topic and id: a device with many subscriptions is normal, not a leak
    setMaxListeners(10_000, eventTarget);
    const listen = listenOn(eventTarget);
    return Object.assign(createPubSub<T>({ eventTarget }), { listen, stream: streamOn<T>(listen), ready: async () => {}, close: async () => {} }) as EventBus<T>;
  }
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const redisTarget = createRedisEventTarget({ publishClient, subscribeClient });
  let closed = false;
  // publishing as the Redis target does, but a failed PUBLISH (Redis down, or a socket's close handler running
  // after shutdown closed the connection) is dropped, not an unhandled rejection: events are at most once,
  // what they announce is durable elsewhere
  const eventTarget = {
    addEventListener: redisTarget.addEventListener.bind(redisTarget),
    removeEventListener: redisTarget.removeEventListener.bind(redisTarget),
    dispatchEvent(event: Event): boolean {
      if (closed) return true;
      const detail = (event as CustomEvent).detail;
      publishClient.publish(event.type, detail === undefined ? '' : JSON.stringify(detail)).catch(() => {});
      return true;
    },
  } as typeof redisTarget;
  const listen = listenOn(eventTarget);
  return Object.assign(createPubSub<T>({ eventTarget }), {
    listen,
    stream: streamOn<T>(listen),
    redis: publishClient,
    ready: async () => {
      await Promise.all(
        [publishClient, subscribeClient].map((c) => (c.status === 'ready' ? undefined : new Promise<void>((resolve, reject) => {
          c.once('ready', () => resolve());
          c.once('end', () => reject(new Error('Redis connection ended before it was ready')));
        }))),
      );
    },
    close: async () => {
      closed = true;
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  }) as EventBus<T>;
}
