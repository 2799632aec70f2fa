/**
 * graphql-ws on the HTTP server's `/graphql` path. A socket authenticates once, in `connection_init`
 * (`{ authorization: "Bearer <token>" }`; refused with 4403). An operation whose query text is new to the
 * server is built through yoga's envelop, so armor limits, the auth plugin and metrics apply as on HTTP; the
 * relay's hot operations with a text accepted that way then run compiled without it (fastOperation, below).
 * Open sockets are kept per device: removing a device (on any instance, through the bus) closes its sockets
 * with 4403 at once.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AuthDevice } from '../kernel/auth.js';
import { clientAddress } from '../http/client-address.js';
import type { Services } from '../services.js';
import { compiledHot, type Hot } from './compiled.js';
import { unauthenticated } from './errors.js';
import { schema } from './schema.js';
import { BEARER, type GraphQLServer, maskOperationError, wsContext } from './yoga.js';

/** `request` is dropped once the socket is authenticated: an open socket keeps only what its operations use. */
type WsExtra = { socket: WebSocket; request?: IncomingMessage; auth?: AuthDevice; address?: string };

export interface GraphQLWs {
  /** Closes every socket and stops listening for removals. */
  close(): Promise<void>;
}

/** Most query texts kept as accepted (parsed and validated) documents. */
const ACCEPTED_DOCUMENTS = 500;

/** While less than this is waiting to be written to a socket, a send counts as done at once (see coalesceWrites). */
const EARLY_DONE_BYTES = 64 * 1024;

/**
 * Frames written to one socket in one turn of the event loop (a mutation's `next` and `complete`, an envelope
 * beside an acknowledgement's result) leave in one write: the TCP socket is corked at the first frame and
 * uncorked once the turn's I/O callbacks and their promise continuations ran (setImmediate), one system call
 * instead of one per frame. graphql-ws waits for each frame's write callback before it sends the next frame
 * of an operation, which would keep `complete` out of its `next`'s write: so a send counts as done at once
 * while little is waiting (a failed write still closes the socket, and graphql-ws with it), and only a
 * socket with EARLY_DONE_BYTES already waiting makes its sender wait for the write (backpressure).
 */
function coalesceWrites(ws: WebSocket, tcp: Duplex): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    tcp.uncork();
  };
  const send = ws.send.bind(ws) as (data: unknown, options?: unknown, cb?: (err?: Error) => void) => void;
  ws.send = ((data: unknown, options?: unknown, cb?: (err?: Error) => void) => {
    const done = typeof options === 'function' ? (options as (err?: Error) => void) : cb;
    const opts = typeof options === 'function' ? undefined : options;
    if (!corked && !tcp.destroyed) {
      corked = true;
      tcp.cork();
      setImmediate(uncork);
    }
    if (done && ws.readyState === ws.OPEN && tcp.writableLength < EARLY_DONE_BYTES) {
      send(data, opts);
      queueMicrotask(() => done());
    } else send(data, opts, done);
  }) as typeof ws.send;
}

function asGraphQLErrors(err: unknown): GraphQLError[] {
  return [err instanceof GraphQLError ? err : new GraphQLError(String((err as Error).message))];
}

export function attachGraphQLWs(server: Server, yoga: GraphQLServer, services: Services): GraphQLWs {
  const { accounts, presence, metrics, bus, config } = services;
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: config.maxBodyBytes });
  wss.on('connection', (ws, request) => coalesceWrites(ws, request.socket));
  /**
   * Query texts that parsed and validated (armor's limits included) through the envelop, with their documents:
   * the same text against the same schema passes the same way again, so a socket's next operation with it
   * (every send and acknowledgement of a client) skips the parse and validate hooks. Bounded (oldest out first).
   */
  const accepted = new Map<string, DocumentNode>();
  const accept = (text: string, doc: DocumentNode) => {
    if (accepted.size >= ACCEPTED_DOCUMENTS) accepted.delete(accepted.keys().next().value as string);
    accepted.set(text, doc);
  };
  /**
   * The relay's operations (sendMessage, sendGroupMessage, acknowledgeEnvelopes and the inbox stream: a
   * message's three operations) on a socket, once their text was accepted through the envelop: run compiled
   * (compiled.ts) with what the envelop's plugins do for them on a socket (the socket is authenticated and its
   * token's expiry checked at subscribe; the operation is counted; every error, of a result, of a stream's
   * event or of the stream itself, leaves through maskOperationError as with yoga's masking) and without the
   * envelop's per-operation hooks and per-event mapping layers. Everything else goes through the envelop.
   */
  const maskError = maskOperationError(services.log);
  const isDev = process.env.NODE_ENV === 'development';
  const mask = (result: ExecutionResult): ExecutionResult =>
    result.errors?.length ? { ...result, errors: result.errors.map((e) => maskError(e, 'Unexpected error.', isDev) as GraphQLError) } : result;
  /** A subscription's stream with every event's errors masked, and a failure of the stream itself masked (logged). */
  const maskStream = (it: AsyncIterableIterator<ExecutionResult>): AsyncIterableIterator<ExecutionResult> => {
    const masked: AsyncIterableIterator<ExecutionResult> = {
      next: () =>
        it.next().then(
          (r) => (r.done ? r : { done: false, value: mask(r.value) }),
          (err) => {
            throw maskError(err, 'Unexpected error.', isDev);
          },
        ),
      return: (v?: unknown) => it.return?.(v) ?? Promise.resolve({ done: true, value: undefined }),
      throw: (e?: unknown) => it.throw?.(e) ?? Promise.reject(e),
      [Symbol.asyncIterator]: () => masked,
    };
    return masked;
  };
  type FastRoot = { fast: true; run: (args: ExecutionArgs) => Promise<unknown> };
  const fastRoots = new WeakMap<Hot, FastRoot>();
  function fastOperation(document: DocumentNode, operationName?: string | null): FastRoot | undefined {
    const hot = compiledHot(schema, document, operationName);
    if (!hot || hot.operation === 'query') return undefined;
    let root = fastRoots.get(hot);
    if (!root) {
      const type = hot.operation === 'subscription' ? 'subscribe' : 'execute';
      root = {
        fast: true,
        run: async (args) => {
          metrics.requests.inc({ transport: 'ws', type });
          let out: unknown;
          try {
            out = await hot.run(args);
          } catch (err) {
            return mask({ errors: [err as GraphQLError] });
          }
          return out && typeof out === 'object' && Symbol.asyncIterator in out
            ? maskStream(out as AsyncIterableIterator<ExecutionResult>)
            : mask(out as ExecutionResult);
        },
      };
      fastRoots.set(hot, root);
    }
    return root;
  }
  /** Open sockets by device, so a removed device can be cut off at once. */
  const socketsByDevice = new Map<string, Set<WebSocket>>();

  const wsServer = useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      schema,
      connectionInitWaitTimeout: 3_000,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const raw = params.authorization ?? params.Authorization ?? params.token;
        const token = typeof raw === 'string' ? (BEARER.exec(raw)?.[1] ?? raw) : undefined;
        const auth = token ? await accounts.authenticate(token) : null;
        if (!auth) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.auth = auth;
        ctx.extra.address = clientAddress(ctx.extra.request, config.trustProxyHops);
        (ctx.extra as { request?: IncomingMessage }).request = undefined;
        let set = socketsByDevice.get(auth.deviceUuid);
        if (!set) socketsByDevice.set(auth.deviceUuid, (set = new Set()));
        set.add(ctx.extra.socket);
        metrics.openSockets.inc();
        await presence.tracker.connected(auth.userId);
        return true;
      },
      onClose: async (ctx) => {
        const auth = ctx.extra.auth;
        if (!auth) return;
        metrics.openSockets.dec();
        const set = socketsByDevice.get(auth.deviceUuid);
        set?.delete(ctx.extra.socket);
        if (set && set.size === 0) socketsByDevice.delete(auth.deviceUuid);
        // graphql-ws does not await onClose: a failure here (the database closing under a stopping server) must
        // not become an unhandled rejection
        // (last seen is written before the offline announcement, which listeners answer with it)
        await accounts.touch(auth.deviceUuid, true).catch(() => {});
        await presence.tracker.disconnected(auth.userId).catch(() => {});
      },
      onSubscribe: async (ctx, _id, payload) => {
        const auth = ctx.extra.auth!;
        if (auth.exp * 1000 <= Date.now()) return [unauthenticated('access token expired; reconnect with a new token')];
        // this operation is already counted in ctx.subscriptions
        if (Object.keys(ctx.subscriptions).length > config.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(`at most ${config.maxSubscriptionsPerSocket} operations at once on one socket (MAX_SUBSCRIPTIONS_PER_SOCKET)`, {
              extensions: { code: 'SUBSCRIPTION_LIMIT' },
            }),
          ];
        }
        // a send, acknowledgement or inbox stream whose text was accepted before: compiled, without the envelop (fastOperation)
        const known = accepted.get(payload.query);
        const fast = known && fastOperation(known, payload.operationName);
        if (fast) {
          return {
            schema,
            operationName: payload.operationName,
            document: known,
            variableValues: payload.variables,
            contextValue: wsContext(services, auth, ctx.extra.address ?? ''),
            rootValue: fast,
          } satisfies ExecutionArgs;
        }
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          socket: ctx.extra.socket,
          params: payload,
          wsAuth: auth,
          wsAddress: ctx.extra.address,
        });
        let document = known;
        if (!document) {
          // graphql-armor throws from parse/validate: answer with the errors instead of closing the socket (4500)
          let parsed: DocumentNode;
          try {
            parsed = parse(payload.query);
          } catch (err) {
            return asGraphQLErrors(err);
          }
          let errors: readonly GraphQLError[];
          try {
            errors = validate(s, parsed);
          } catch (err) {
            return asGraphQLErrors(err);
          }
          if (errors.length) return errors;
          accept(payload.query, parsed);
          document = parsed;
        }
        const args: ExecutionArgs = {
          schema: s,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        return args;
      },
      execute: (args) => {
        const root = args.rootValue as { fast?: true; run: (a: ExecutionArgs) => unknown; execute: (a: ExecutionArgs) => unknown };
        return (root.fast ? root.run(args) : root.execute(args)) as never;
      },
      subscribe: (args) => {
        const root = args.rootValue as { fast?: true; run: (a: ExecutionArgs) => unknown; subscribe: (a: ExecutionArgs) => unknown };
        return (root.fast ? root.run(args) : root.subscribe(args)) as never;
      },
      onOperation: () => {
        metrics.subscriptions.inc();
      },
      onComplete: () => {
        metrics.subscriptions.dec();
      },
    },
    wss,
    config.keepAliveMs,
  );

  // Removals (on this or, through Redis, any instance): forget cached auth and cut the device's sockets.
  const removals = bus.subscribe('deviceRemoved');
  void (async () => {
    for await (const { deviceUuid } of removals) {
      accounts.forgetDevice(deviceUuid);
      for (const ws of socketsByDevice.get(deviceUuid) ?? []) ws.close(CloseCode.Forbidden, 'Device removed');
    }
  })().catch((err) => services.log.error({ err }, 'device removal listener failed'));

  return {
    async close() {
      await removals.return?.(undefined);
      for (const ws of wss.clients) ws.close(1001, 'Server shutting down');
      await wsServer.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
