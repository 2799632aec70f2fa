/**
 * buildApp(config) -> { start(port), stop() }: one node:http(s) server carrying GraphQL over HTTP and SSE
 * (graphql/yoga.ts), graphql-ws on the same path (graphql/ws.ts), attachments, a health check and
 * Prometheus metrics (http/router.ts), and the background sweepers. Built without listening, so tests
 * start it on port 0.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { migrate, openOrm } from './db/orm.js';
import type { Topics } from './events.js';
import { attachGraphQLWs } from './graphql/ws.js';
import { createGraphQLServer } from './graphql/yoga.js';
import { createRouter, serveMetrics } from './http/router.js';
import { createLogger } from './ops/logger.js';
import { createMetrics } from './ops/metrics.js';
import { LocalDeviceActivity, type TrackedDeviceActivity } from './push/device-activity.js';
import { createPush } from './push/push.js';
import { RedisDeviceActivity } from './push/redis-device-activity.js';
import { createEventBus } from './realtime/bus.js';
import { createServices, type Services } from './services.js';

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

export async function buildApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const orm = await openOrm(opts.databaseUrl, config.dbPoolSize);
  if (opts.migrate !== false) {
    const applied = await migrate(orm);
    if (applied.length) log.info({ applied }, 'migrations applied');
  }
  const bus = createEventBus<Topics>(config.redisUrl);
  // subscriptions made while a Redis connection is between connect and ready fail its ready check: wait
  await bus.ready();
  const metrics = createMetrics();
  const instanceId = randomUUID();
  const pushActivity: TrackedDeviceActivity = bus.redis ? new RedisDeviceActivity({ redis: bus.redis, bus, instanceId, log }) : new LocalDeviceActivity();
  // VAPID keys are generated and kept under DATA_DIR only in the embedded setup (no DATABASE_URL)
  const push = await createPush({ config, orm, activity: pushActivity, generateVapid: !config.databaseUrl, log, registry: metrics.registry });
  const services = createServices({ config, orm, bus, log, metrics, push, pushActivity, instanceId });

  const yoga = createGraphQLServer(services);
  const handler = createRouter(services, yoga);
  const server: Server = config.tlsCert
    ? createHttpsServer({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey!) }, handler)
    : createHttpServer(handler);
  const ws = attachGraphQLWs(server, yoga, services);
  // METRICS_PORT: /metrics on a listener of its own (e.g. only on the private network), without a token
  const metricsServer = config.metricsPort
    ? createHttpServer((req, res) => {
        if ((req.url ?? '').split('?')[0] === '/metrics') void serveMetrics(services, req, res, false);
        else res.writeHead(404).end();
      })
    : null;

  await services.presence.tracker.start();
  await pushActivity.start();
  const sweepers = [
    [services.messageSweeper, config.messageSweepIntervalMs],
    [services.callSweeper, config.callSweepIntervalMs],
    [services.attachmentSweeper, config.attachmentSweepIntervalMs],
  ] as const;
  for (const [sweeper, interval] of sweepers) sweeper.start(interval);

  let stopped = false;
  return {
    services,
    server,
    async start(port = config.port, host = config.host) {
      if (metricsServer) {
        await new Promise<void>((resolve, reject) => {
          metricsServer.once('error', reject);
          metricsServer.listen(config.metricsPort, config.metricsHost, () => resolve());
        });
      }
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
      for (const [sweeper] of sweepers) await sweeper.stop();
      yoga.dispose();
      services.typing.stop();
      await ws.close();
      await services.presence.tracker.stop();
      await pushActivity.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (metricsServer?.listening) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      // pushes in flight finish (a gone target's delete needs the database) before the pool closes
      await push.close();
      await bus.close();
      await orm.close(true);
    },
  };
}
