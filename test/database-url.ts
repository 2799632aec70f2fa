import { inject } from 'vitest';

/**
 * The database of this test worker: the per-run PostgreSQL database, or on embedded runs the worker's own
 * PGlite (test/global-setup.ts says why workers do not share one).
 */
export function testDatabaseUrl(): string {
  const urls = inject('databaseUrls');
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  return urls[(worker - 1) % urls.length];
}
