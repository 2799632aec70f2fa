/**
 * buildApp(config) -> { start(port), stop() }: one node:http(s) server carrying GraphQL over HTTP and SSE
 * (graphql-yoga), graphql-ws on the same path, a health check and Prometheus metrics. Built without
 * listening, so tests start it on port 0.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, maskError } from 'graphql-yoga';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { migrate, openOrm } from './db/orm.js';
import { authPlugin } from './graphql/auth-plugin.js';
import type { AuthDevice, Context } from './graphql/context.js';
import { DomainError, unauthenticated } from './graphql/errors.js';
import { schema } from './graphql/schema.js';
import { createLogger } from './ops/logger.js';
import { createMetrics } from './ops/metrics.js';
import { createEventBus } from './realtime/pubsub.js';
import { createServices, type Services } from './services.js';
import { handleAttachmentRequest } from './attachments/attachments.http.js';
import { createExplorer } from './http/explorer.js';

export interface App {
  services: Services;
  server: Server;
  /** Listens; resolves with the bound port. */
  start(port?: number, host?: string): Promise<number>;
  /** Closes sockets, the HTTP server, the event bus and the database pool. */
  stop(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  databaseUrl: string;
  log?: Logger;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
}

type WsExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  auth?: AuthDevice;
};

const BEARER = /^Bearer\s+(\S+)$/i;

export async function buildApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const orm: MikroORM = await openOrm(opts.databaseUrl, config.dbPoolSize);
  if (opts.migrate !== false) {
    const applied = await migrate(orm);
    if (applied.length) log.info({ applied }, 'migrations applied');
  }
  const bus = createEventBus(config.redisUrl);
  const metrics = createMetrics();
  const services = createServices({ config, orm, bus, log, metrics });

  const yoga = createYoga<{ req?: IncomingMessage; wsAuth?: AuthDevice }, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    batching: false,
    multipart: false,
    logging: {
      debug: (...a) => log.debug({ args: a.map(String) }, 'yoga'),
      info: (...a) => log.info({ args: a.map(String) }, 'yoga'),
      warn: (...a) => log.warn({ args: a.map(String) }, 'yoga'),
      error: (...a) => log.error({ err: a[0] }, 'yoga'),
    },
    // yoga's page loads GraphiQL from a CDN: the explorer (./http/explorer.ts) serves its own instead
    graphiql: false,
    maskedErrors: {
      maskError(error, message, isDev) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof DomainError) {
          metrics.errors.inc({ code: original.code });
          const ge = error instanceof GraphQLError ? error : undefined;
          return new GraphQLError(original.message, { nodes: ge?.nodes, path: ge?.path, extensions: { code: original.code } });
        }
        const code = error instanceof GraphQLError ? String(error.extensions?.code ?? 'GRAPHQL_ERROR') : 'INTERNAL_SERVER_ERROR';
        metrics.errors.inc({ code });
        if (!(error instanceof GraphQLError) || (error.originalError && !(error.originalError instanceof GraphQLError))) {
          log.error({ err: (error as GraphQLError).originalError ?? error }, 'unexpected error');
        }
        return maskError(error, message, isDev);
      },
    },
    context: async (init): Promise<Context> => {
      const requestId = init.request?.headers.get('x-request-id') ?? randomUUID();
      if (init.wsAuth) {
        return { requestId, auth: init.wsAuth, externalSubject: null, services, transport: 'ws' };
      }
      const header = init.request.headers.get('authorization');
      let auth: AuthDevice | null = null;
      let externalSubject: string | null = null;
      if (header) {
        const m = BEARER.exec(header);
        if (!m) throw unauthenticated('malformed Authorization header: expected "Bearer <token>"');
        auth = await services.accounts.authenticate(m[1]);
        if (!auth) {
          externalSubject = await services.tokens.verifyExternal(m[1]);
          if (!externalSubject) throw unauthenticated('invalid, expired or revoked token');
        }
      }
      return { requestId, auth, externalSubject, services, transport: 'http' };
    },
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: config.maxDepth },
        costLimit: { maxCost: config.maxCost },
        maxAliases: { n: config.maxAliases },
        maxTokens: { n: config.maxTokens },
        maxDirectives: { n: 20 },
        blockFieldSuggestion: { enabled: true },
      }),
      authPlugin(),
      {
        onExecute: ({ args }: { args: ExecutionArgs }) => {
          metrics.requests.inc({ transport: (args.contextValue as Context).transport, type: 'execute' });
        },
        onSubscribe: ({ args }: { args: ExecutionArgs }) => {
          metrics.requests.inc({ transport: (args.contextValue as Context).transport, type: 'subscribe' });
        },
      },
    ],
  });

  const explorer = config.graphiql ? createExplorer({ endpoint: '/graphql', title: 'sealed-relay explorer' }) : null;

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      metrics.httpDuration.observe({ status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (explorer && (await explorer.handle(req, res, path))) return;
      if (path === '/attachments' || path.startsWith('/attachments/')) {
        await handleAttachmentRequest(services, req, res, path);
        return;
      }
      if (path === '/health') {
        try {
          await services.knex.raw('select 1');
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        } catch {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"database unavailable"}');
        }
        return;
      }
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
        return;
      }
      if (path === '/') {
        res.writeHead(302, { location: '/graphql' }).end();
        return;
      }
      if (path === '/graphql') {
        if (req.method === 'POST') {
          const len = req.headers['content-length'];
          if (len === undefined) {
            res.writeHead(411, { 'content-type': 'application/json' }).end('{"errors":[{"message":"Content-Length required"}]}');
            return;
          }
          if (Number(len) > config.maxBodyBytes) {
            res
              .writeHead(413, { 'content-type': 'application/json', connection: 'close' })
              .end(`{"errors":[{"message":"request body over ${config.maxBodyBytes} bytes","extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}`);
            return;
          }
        }
        await yoga.requestListener(req, res);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    } catch (err) {
      log.error({ err }, 'request failed');
      if (!res.headersSent) res.writeHead(500).end();
    }
  };

  const server: Server = config.tlsCert
    ? createHttpsServer({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey!) }, handler)
    : createHttpServer(handler);

  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: config.maxBodyBytes });
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
        const auth = token ? await services.accounts.authenticate(token) : null;
        if (!auth) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.auth = auth;
        let set = socketsByDevice.get(auth.deviceUuid);
        if (!set) socketsByDevice.set(auth.deviceUuid, (set = new Set()));
        set.add(ctx.extra.socket);
        metrics.openSockets.inc();
        await services.presence.connected(auth.userId);
        return true;
      },
      onClose: async (ctx) => {
        const auth = ctx.extra.auth;
        if (!auth) return;
        metrics.openSockets.dec();
        const set = socketsByDevice.get(auth.deviceUuid);
        set?.delete(ctx.extra.socket);
        if (set && set.size === 0) socketsByDevice.delete(auth.deviceUuid);
        await services.presence.disconnected(auth.userId, auth.deviceUuid);
      },
      onSubscribe: async (ctx, _id, payload) => {
        const auth = ctx.extra.auth!;
        if (auth.exp * 1000 <= Date.now()) return [unauthenticated('access token expired; reconnect with a new token')];
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          wsAuth: auth,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError(String((err as Error).message))];
        }
        let errors: readonly GraphQLError[];
        try {
          errors = validate(s, document);
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError(String((err as Error).message))];
        }
        if (errors.length) return errors;
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
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
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
      services.accounts.forgetDevice(deviceUuid);
      for (const ws of socketsByDevice.get(deviceUuid) ?? []) ws.close(CloseCode.Forbidden, 'Device removed');
    }
  })();

  await services.presence.start();

  if (config.messageSweepIntervalMs > 0) services.messageSweeper.start(config.messageSweepIntervalMs);
  if (config.callSweepIntervalMs > 0) services.callSweeper.start(config.callSweepIntervalMs);
  if (config.attachmentSweepIntervalMs > 0) services.attachmentSweeper.start(config.attachmentSweepIntervalMs);
  let stopped = false;
  return {
    services,
    server,
    start(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await services.messageSweeper.stop();
      await services.callSweeper.stop();
      await services.attachmentSweeper.stop();
      await removals.return?.(undefined);
      services.typing.stop();
      for (const ws of wss.clients) ws.close(1001, 'Server shutting down');
      await wsServer.dispose();
      await services.presence.stop();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await bus.close();
      await orm.close(true);
    },
  };
}
