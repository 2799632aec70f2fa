/**
 * The process entry point: the only file that listens and reads process.env. With no DATABASE_URL it starts
 * the embedded PostgreSQL (PGlite) under DATA_DIR; migrations are applied on start. SIGINT/SIGTERM close
 * sockets, drain HTTP, close the pool and stop the embedded database.
 */
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { startEmbeddedDatabase } from './db/embedded.js';
import { createLogger } from './ops/logger.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (config.jwtSecretGenerated) {
    log.warn('JWT_SECRET is not set: using a random per-process key; access tokens will not survive a restart');
  }
  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config.dataDir);
  if (embedded) log.info({ dataDir: embedded.dataDir }, 'embedded PostgreSQL (PGlite) started');
  const app = await buildApp({ config, databaseUrl: config.databaseUrl ?? embedded!.url, log });
  const port = await app.start();
  const scheme = config.tlsCert ? 'https' : 'http';
  log.info({ port, database: embedded ? 'embedded' : 'postgresql', redis: Boolean(config.redisUrl) }, `listening on ${scheme}://localhost:${port}/graphql`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await app.stop();
      await embedded?.stop();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
