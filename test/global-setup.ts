/**
 * Once per test run: a database for the server tests.
 * - With TEST_DATABASE_URL (a PostgreSQL server): a uniquely named database is created on it, migrated,
 *   and dropped at the end.
 * - Without it: an embedded PGlite database (in memory) served over a loopback socket.
 * Test files read the URL with `inject('databaseUrl')`.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedDatabase } from '../src/server/db/embedded.js';
import { migrate, openOrm } from '../src/server/db/orm.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: 'postgresql' | 'embedded';
    /** The server URL the per-run database lives on (for tests that create databases of their own). */
    adminDatabaseUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  let url: string;
  let teardown: () => Promise<void>;
  if (base) {
    const name = `sealed_test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    teardown = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
    project.provide('databaseKind', 'postgresql');
    project.provide('adminDatabaseUrl', base);
  } else {
    const embedded = await startEmbeddedDatabase(undefined, 32);
    url = embedded.url;
    teardown = () => embedded.stop();
    project.provide('databaseKind', 'embedded');
    project.provide('adminDatabaseUrl', null);
  }
  const orm = await openOrm(url, 1);
  await migrate(orm);
  await orm.close(true);
  project.provide('databaseUrl', url);
  return teardown;
}
