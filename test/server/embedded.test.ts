/** The embedded database path: what `npm start` does on a fresh machine with no DATABASE_URL. */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

describe('npm start: the bundled server on a new data folder', () => {
  it('builds, starts with nothing configured, answers GraphQL, serves the explorer from its own assets, and stops on SIGTERM', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    await run('npm', ['run', '-s', 'build:server'], root);
    const dir = await mkdtemp(join(tmpdir(), 'sealed-start-'));
    const child = spawn(process.execPath, ['src/server/dist/main.mjs'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', GRAPHIQL: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /"port":(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      const u = await register(`${base}/graphql`);
      expect((await gql(`${base}/graphql`, '{ me { username } }', {}, u.token)).data.me.username).toBe(u.username);
      const page = await (await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } })).text();
      const assets = [...page.matchAll(/(?:src|href)="(\/explorer\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const a of assets) expect((await fetch(base + a)).status, a).toBe(200);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve()));
  });
}
