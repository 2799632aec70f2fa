/**
 * Once per test run: a database for the server tests.
 * - With TEST_DATABASE_URL (a PostgreSQL server): a uniquely named database is created on it, migrated,
 *   and dropped at the end.
 * - Without it: embedded PGlite databases (in memory) served over loopback sockets, one per test worker:
 *   PGlite has one backend session, and pglite-socket interleaves the extended-protocol messages of
 *   connections that use it at the same time ("unnamed prepared statement does not exist"), so workers
 *   must not share one.
 * Test files read the URL with `testDatabaseUrl()` (test/database-url.ts).
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedDatabase } from '../src/server/db/embedded.js';
import { migrate, openOrm } from '../src/server/db/orm.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** Embedded runs: one database per worker (VITEST_POOL_ID picks); PostgreSQL runs: [databaseUrl]. */
    databaseUrls: string[];
    databaseKind: 'postgresql' | 'embedded';
    /** The server URL the per-run database lives on (for tests that create databases of their own). */
    adminDatabaseUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  let urls: string[];
  let teardown: () => Promise<void>;
  if (base) {
    const name = `sealed_test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    urls = [u.toString()];
    teardown = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
    project.provide('databaseKind', 'postgresql');
    project.provide('adminDatabaseUrl', base);
  } else {
    const workers = Math.max(1, Number(project.config.maxWorkers) || 1);
    const embedded = await Promise.all(Array.from({ length: workers }, () => startEmbeddedDatabase(undefined, 32)));
    urls = embedded.map((e) => e.url);
    teardown = async () => {
      await Promise.all(embedded.map((e) => e.stop()));
    };
    project.provide('databaseKind', 'embedded');
    project.provide('adminDatabaseUrl', null);
  }
  for (const url of urls) {
    const orm = await openOrm(url, 1);
    await migrate(orm);
    await orm.close(true);
  }
  project.provide('databaseUrl', urls[0]);
  project.provide('databaseUrls', urls);
  return teardown;
}
