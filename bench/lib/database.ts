/**
 * A database of its own for each benchmark run, on the PostgreSQL server named by DATABASE_URL (default:
 * the local server, postgres://postgres@127.0.0.1:5432/postgres): created with a unique name, dropped at the
 * end of the run whatever happens (registered as a cleanup), so runs never share tables.
 */
import pg from 'pg';
import { onCleanup } from './run.js';

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(prefix: string, serverUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL): Promise<BenchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(`drop database if exists ${name} with (force)`);
    } finally {
      await c.end();
    }
  };
  onCleanup(drop);
  return { name, url: u.toString(), drop };
}

/**
 * A client on a benchmark database, closed by the run's cleanup before the database is dropped. Its
 * 'error' events (the connection terminated while idle) are reported, not thrown: the queries in flight
 * fail on their own.
 */
export async function openClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', (err) => console.error(`database connection: ${err.message}`));
  await c.connect();
  let ended = false;
  const end = c.end.bind(c);
  const close = async () => {
    if (ended) return;
    ended = true;
    await end();
  };
  const unregister = onCleanup(close);
  c.end = (async () => {
    unregister();
    await close();
  }) as typeof c.end;
  return c;
}
