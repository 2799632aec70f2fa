/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) kept in a folder on disk and served over the
 * PostgreSQL wire protocol on a loopback port, so the server uses the same driver and SQL as with a real
 * PostgreSQL server. PGlite has one backend: statements from several connections are queued and
 * transactions run one at a time (see stack notes).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
/** Marks URLs of the embedded database (openOrm then turns named prepared statements off: db/sql.ts). */
export const EMBEDDED_APPLICATION_NAME = 'sealed-relay-embedded';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string | undefined;
  stop(): Promise<void>;
}

/** Starts PGlite. `dataDir` undefined keeps the database in memory (tests). */
export async function startEmbeddedDatabase(dataDir: string | undefined, maxConnections = 16): Promise<EmbeddedDatabase> {
  let dir: string | undefined;
  if (dataDir) {
    dir = resolve(dataDir, 'pglite');
    await mkdir(dir, { recursive: true });
  }
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections });
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres?sslmode=disable&application_name=${EMBEDDED_APPLICATION_NAME}`,
    dataDir: dir,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
