/**
 * How the SDK talks to the server: typed documents (src/client/generated) over fetch for queries and
 * mutations, and over graphql-ws for subscriptions. The socket is lazy, reconnects forever with
 * back-off, re-reads the access token on every (re)connect, and graphql-ws re-subscribes active
 * subscriptions after a reconnect. No Node-only imports: Node callers pass `webSocketImpl` (see node.ts).
 */
import { createClient, type Client as WsClient } from 'graphql-ws/client';
import type { TypedDocumentString } from './generated/graphql.js';
import { NetworkError, RateLimitError, ServerError, UnauthenticatedError } from './errors.js';

export interface TransportOptions {
  /** http(s)://host/graphql */
  url: string;
  /** ws(s)://host/graphql; derived from `url` when omitted. */
  wsUrl?: string;
  /** A WebSocket constructor; defaults to the global one (browsers). On Node 20 pass `ws`. */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
  /** Returns a valid access token (a new one when `refresh`), or null for public operations. */
  getToken: (opts?: { refresh?: boolean }) => Promise<string | null>;
  /** Called when the subscription socket (re)connects or closes. */
  onConnectionChange?: (state: 'connected' | 'closed') => void;
  /** Max back-off between reconnect attempts (ms). */
  maxRetryDelayMs?: number;
}

export type Sink<T> = { next(value: T): void; error(err: unknown): void; complete?(): void };

export class Transport {
  private ws: WsClient | null = null;
  private readonly fetchImpl: typeof fetch;
  readonly wsUrl: string;

  constructor(private readonly opts: TransportOptions) {
    this.fetchImpl = opts.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
    this.wsUrl = opts.wsUrl ?? opts.url.replace(/^http/, 'ws');
  }

  /** Runs a query or mutation over HTTP. `auth: false` sends no token (register, link, token). */
  async request<R, V>(doc: TypedDocumentString<R, V>, variables: NoInfer<V>, opts: { auth?: boolean } = {}): Promise<R> {
    try {
      return await this.requestOnce(doc, variables, opts.auth === false ? null : await this.opts.getToken());
    } catch (e) {
      // a token refused before its expiry (server restarted with a new key, clock skew): one fresh try
      if (!(e instanceof UnauthenticatedError) || opts.auth === false) throw e;
      return this.requestOnce(doc, variables, await this.opts.getToken({ refresh: true }));
    }
  }

  private async requestOnce<R, V>(doc: TypedDocumentString<R, V>, variables: V, token: string | null): Promise<R> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: doc.toString(), variables }),
      });
    } catch (e) {
      throw new NetworkError(`request to ${this.opts.url} failed: ${(e as Error).message}`, { cause: e });
    }
    let body: { data?: R | null; errors?: GraphQLErrorLike[] };
    try {
      body = (await res.json()) as typeof body;
    } catch (e) {
      throw new NetworkError(`server answered ${res.status} without JSON`, { cause: e });
    }
    if (body.errors?.length) throw errorFromGraphQL(body.errors);
    if (!body.data) throw new NetworkError(`server answered ${res.status} without data`);
    return body.data;
  }

  private socket(): WsClient {
    if (this.ws) return this.ws;
    const impl = this.opts.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (!impl) throw new Error('no WebSocket implementation: pass `webSocketImpl` (e.g. `import WebSocket from "ws"` on Node 20)');
    const maxDelay = this.opts.maxRetryDelayMs ?? 10_000;
    this.ws = createClient({
      url: this.wsUrl,
      webSocketImpl: impl,
      // Non-lazy: the socket stays up between subscriptions (the inbox is always open anyway), and
      // graphql-ws 6's lazy mode can reject an unobserved promise when unsubscribing during a retry wait.
      lazy: false,
      onNonLazyError: () => {},
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: async (retries) => {
        const delay = Math.min(maxDelay, 200 * 2 ** Math.min(retries, 8)) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, delay));
      },
      connectionParams: async () => {
        const token = await this.opts.getToken();
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      on: {
        connected: () => this.opts.onConnectionChange?.('connected'),
        closed: () => this.opts.onConnectionChange?.('closed'),
      },
    });
    return this.ws;
  }

  /** Subscribes; returns the unsubscribe function. Errors are delivered typed to `sink.error`. */
  subscribe<R, V>(doc: TypedDocumentString<R, V>, variables: NoInfer<V>, sink: Sink<R>): () => void {
    return this.socket().subscribe<R>(
      { query: doc.toString(), variables: variables as Record<string, unknown> },
      {
        next: (v) => {
          if (v.errors?.length) sink.error(errorFromGraphQL(v.errors as GraphQLErrorLike[]));
          else if (v.data) sink.next(v.data as R);
        },
        error: (e) => sink.error(Array.isArray(e) ? errorFromGraphQL(e) : new NetworkError(describeClose(e), { cause: e })),
        complete: () => sink.complete?.(),
      },
    );
  }

  /** Drops the socket at once (tests use it to simulate a network cut); subscriptions reconnect. */
  terminateSocket(): void {
    this.ws?.terminate();
  }

  async close(): Promise<void> {
    const ws = this.ws;
    this.ws = null;
    try {
      // graphql-ws awaits a connection attempt in flight, which rejects when the server is unreachable
      await ws?.dispose();
    } catch {
      // closing anyway
    }
  }
}

interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: string; retryAfterSeconds?: number; [k: string]: unknown };
}

function errorFromGraphQL(errors: readonly GraphQLErrorLike[]): Error {
  const e = errors[0];
  const code = e.extensions?.code ?? 'GRAPHQL_ERROR';
  if (code === 'UNAUTHENTICATED') return new UnauthenticatedError(e.message);
  if (code === 'RATE_LIMITED') {
    const fromMessage = /retry after (\d+)/.exec(e.message)?.[1];
    return new RateLimitError(Number(e.extensions?.retryAfterSeconds ?? fromMessage ?? 1), e.message);
  }
  return new ServerError(code, e.message, e.extensions ?? {});
}

function describeClose(e: unknown): string {
  const c = e as { code?: number; reason?: string; message?: string };
  if (typeof c?.code === 'number') return `socket closed ${c.code} ${c.reason ?? ''}`.trim();
  return c?.message ?? String(e);
}

/** Maps a typed error member of a result union (`... on Error { code message }`) to a client error. */
export function domainError(r: { __typename: string; code?: string; message?: string } & Record<string, unknown>): Error {
  if (r.__typename === 'RateLimitedError') return new RateLimitError(Number(r.retryAfterSeconds ?? 1), String(r.message));
  return new ServerError(r.code ?? r.__typename, r.message ?? r.__typename, r);
}
