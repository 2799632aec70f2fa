/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) kept in a folder on disk and served over the
 * PostgreSQL wire protocol on a loopback port, so the server uses the same driver and SQL as with a real
 * PostgreSQL server. PGlite has one backend: statements from several connections are queued and
 * transactions run one at a time (see stack notes).
 *
 * Sized for a development server (`npm run bench:memory` measures it; README "Benchmarks"):
 * - shared_buffers 16 MB instead of PostgreSQL's 128 MB: PGlite allocates and touches the whole buffer
 *   pool inside its WebAssembly memory at start, so all of it is resident from the first second;
 * - a new data folder is initialised (initdb) by a short-lived child process: PGlite runs initdb in a
 *   second PGlite instance whose WebAssembly memory stays reachable, and so resident, for the life of the
 *   process that ran it (~450 MB); in a worker thread ~85 MB of its malloc arenas stayed resident;
 * - WebAssembly is compiled by V8's baseline compiler only (Liftoff): optimising PGlite's hot functions
 *   (TurboFan) keeps ~60 MB of code and compiler memory resident and measured no slower on a development
 *   workload. PGlite is the only WebAssembly the server runs; the flag is set before it is compiled.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
/** Marks URLs of the embedded database (openOrm then turns named prepared statements off: db/sql.ts). */
export const EMBEDDED_APPLICATION_NAME = 'sealed-relay-embedded';

/** PostgreSQL settings for a development database (`-c name=value` on PGlite's command line). */
const SETTINGS: Record<string, string> = {
  shared_buffers: '16MB',
};

export interface EmbeddedDatabase {
  url: string;
  dataDir: string | undefined;
  stop(): Promise<void>;
}

function startParams(): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** Creates the database in `dir` in a child process, so that what initdb leaves in memory goes with it. */
async function initialiseInChild(dir: string): Promise<void> {
  const script = `const { PGlite } = require(process.env.PGLITE_MODULE);
    PGlite.create(process.env.PGLITE_DIR, { startParams: JSON.parse(process.env.PGLITE_START_PARAMS) }).then((db) => db.close()).then(
      () => process.exit(0), (err) => { console.error(err && err.stack || err); process.exit(1); });`;
  const env = {
    ...process.env,
    PGLITE_MODULE: createRequire(import.meta.url).resolve('@electric-sql/pglite'),
    PGLITE_DIR: dir,
    PGLITE_START_PARAMS: JSON.stringify(startParams()),
  };
  await new Promise<void>((res, rej) => {
    execFile(process.execPath, ['--liftoff-only', '-e', script], { env }, (err, _stdout, stderr) =>
      err ? rej(new Error(`embedded database initialisation failed: ${stderr || err.message}`)) : res(),
    );
  });
}

/** Starts PGlite. `dataDir` undefined keeps the database in memory (tests). */
export async function startEmbeddedDatabase(dataDir: string | undefined, maxConnections = 16): Promise<EmbeddedDatabase> {
  setFlagsFromString('--liftoff-only');
  let dir: string | undefined;
  if (dataDir) {
    dir = resolve(dataDir, 'pglite');
    await mkdir(dir, { recursive: true });
    if (!existsSync(resolve(dir, 'PG_VERSION'))) await initialiseInChild(dir);
  }
  const options: PGliteOptions = { startParams: startParams() };
  const db = await PGlite.create(dir, options);
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
