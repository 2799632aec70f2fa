/**
 * One device's socket to this server as the benchmarks use it: a graphql-ws connection (no retries: the
 * caller decides what a broken socket means) carrying the device's `inbox` subscription and its mutations.
 * `ready` resolves at InboxDrained (the queue is delivered); `closed` rejects once the socket is unusable
 * (closed, refused, the inbox ended). `cut()` destroys the TCP connection without a close handshake, as a
 * lost network does.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface InboxEnvelope {
  id: string;
  ciphertext: Uint8Array;
}

export interface RelaySocket {
  ready: Promise<void>;
  closed: Promise<never>;
  /** Runs a mutation; resolves with its (first) result field when its `__typename` is `expect`. */
  mutate<T extends { __typename: string }>(query: string, variables: Record<string, unknown>, expect: string): Promise<T>;
  cut(): void;
  dispose(): Promise<void>;
}

export class MutationRefused extends Error {
  constructor(readonly result: unknown) {
    super(`refused: ${JSON.stringify(result)}`);
    this.name = 'MutationRefused';
  }
}

const INBOX = `subscription { inbox { __typename ... on Envelope { id ciphertext } ... on InboxEnded { reason } } }`;

export function openRelaySocket(opts: { port: number; token: string; onEnvelope: (e: InboxEnvelope) => void }): RelaySocket {
  let socket: WebSocket | undefined;
  class Tracked extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      socket = this;
    }
  }
  let broken!: (err: unknown) => void;
  const closed = new Promise<never>((_, reject) => {
    broken = reject;
  });
  closed.catch(() => {});
  const client = createClient({
    url: `ws://127.0.0.1:${opts.port}/graphql`,
    webSocketImpl: Tracked,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (e) => broken(e),
    on: { closed: (e) => broken(new Error(`socket closed (${(e as { code?: number })?.code})`)) },
    connectionParams: { authorization: `Bearer ${opts.token}` },
  });
  let drained!: () => void;
  const ready = new Promise<void>((r) => {
    drained = r;
  });
  client.subscribe<{ inbox: { __typename: string; id?: string; ciphertext?: string; reason?: string } }>(
    { query: INBOX },
    {
      next: (v) => {
        const item = v.data?.inbox;
        if (item?.__typename === 'Envelope') opts.onEnvelope({ id: item.id!, ciphertext: new Uint8Array(Buffer.from(item.ciphertext!, 'base64')) });
        else if (item?.__typename === 'InboxDrained') drained();
        else broken(new Error(`inbox: ${JSON.stringify(v.errors ?? item)}`));
      },
      error: (e) => broken(e),
      complete: () => broken(new Error('inbox completed')),
    },
  );
  return {
    ready: Promise.race([ready, closed]),
    closed,
    mutate<T extends { __typename: string }>(query: string, variables: Record<string, unknown>, expect: string) {
      return new Promise<T>((resolve, reject) => {
        let result: T | undefined;
        let failure: unknown = new Error('no result');
        client.subscribe<Record<string, T>>(
          { query, variables },
          {
            next: (v) => {
              const r = v.data ? Object.values(v.data)[0] : undefined;
              if (!v.errors && r && r.__typename === expect) {
                result = r;
                failure = undefined;
              } else failure = new MutationRefused(v.errors ?? r);
            },
            error: reject,
            complete: () => (failure ? reject(failure) : resolve(result!)),
          },
        );
      });
    },
    cut() {
      socket?.terminate();
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
