/** The embedded database path: what `npm start` does on a fresh machine with no DATABASE_URL. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbeddedDatabase } from '../../src/server/db/embedded.js';
import { migrate, openOrm } from '../../src/server/db/orm.js';
import { gql, register, startServer } from './harness.js';

describe('embedded PostgreSQL (PGlite)', () => {
  it('keeps every account across a restart of the server and its data folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealed-embedded-'));
    try {
      const jwt = new Uint8Array(32).fill(3);
      let db = await startEmbeddedDatabase(dir);
      const orm = await openOrm(db.url, 1);
      expect(await migrate(orm)).toContain('Migration20261125000001_accounts');
      await orm.close(true);
      let server = await startServer({ jwtSecret: jwt }, db.url);
      const u = await register(server.url);
      await server.stop();
      await db.stop();

      db = await startEmbeddedDatabase(dir);
      server = await startServer({ jwtSecret: jwt }, db.url);
      try {
        const me = await gql(server.url, '{ me { id username } }', {}, u.token);
        expect(me.data.me).toEqual({ id: u.userId, username: u.username });
      } finally {
        await server.stop();
        await db.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
