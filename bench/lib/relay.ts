/**
 * This server as the benchmarks run it: as `npm start` runs it (the esbuild bundle of src/server/main.ts on
 * plain node, built once per benchmark process; BENCH_SERVER=tsx runs the sources through tsx instead) on a
 * benchmark database, and a
 * population of users, devices and direct conversations seeded with SQL, with access tokens minted with
 * the server's JWT secret (HS256, the claims src/server/accounts/auth.ts issues). Seeding skips
 * registration (scrypt) and conversation set-up on purpose: the benchmarks measure the relay path, and
 * `bench:abuse` measures registration under load separately.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type pg from 'pg';
import { type Child, spawnChild } from './child.js';

export const BENCH_JWT_SECRET = 'bench-jwt-secret-0123456789abcdef-0123456789';

/** Environment for a benchmark server: no send rate limit (the load is the point), long-lived tokens. */
export function relayEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    JWT_SECRET: BENCH_JWT_SECRET,
    ACCESS_TOKEN_TTL: '86400',
    SEND_RATE_BURST: '1000000',
    SEND_RATE_PER_SECOND: '1000000',
    DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '10',
    ...overrides,
  };
}

let bundled = false;

/** Builds src/server/dist/main.mjs as `npm start` does (`npm run build:server`), once per process. */
export function serverBundle(): string {
  if (!bundled) {
    execFileSync('npm', ['run', '-s', 'build:server'], { stdio: 'inherit' });
    bundled = true;
  }
  return 'src/server/dist/main.mjs';
}

export function spawnRelay(databaseUrl: string, overrides: Record<string, string> = {}, name = 'server (npm start)'): Promise<Child> {
  const env = relayEnv(databaseUrl, overrides);
  if (process.env.BENCH_SERVER === 'tsx') return spawnChild({ name: `${name} through tsx`, script: 'src/server/main.ts', env });
  return spawnChild({ name, script: serverBundle(), env, tsx: false });
}

export interface Population {
  users: string[];
  /** Device.id (uuid) of each user's only device (Signal device id 1). */
  devices: string[];
  /** The direct conversation of each seeded pair, keyed `${a}:${b}` with a < b. */
  conversations: Map<string, string>;
  conversation(a: number, b: number): string;
  token(i: number): Promise<string>;
}

/**
 * Seeds `n` users with one device each and a direct conversation, accepted by both, for each pair in `pairs` (indexes into
 * the users). The tables must exist (the server migrates them on start).
 */
export async function seedPopulation(db: pg.Client, n: number, pairs: [number, number][]): Promise<Population> {
  const users = Array.from({ length: n }, () => randomUUID());
  const devices = Array.from({ length: n }, () => randomUUID());
  const run = `b${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  await db.query(`insert into users (id, username, display_name) select u, $2 || '_' || i, 'bench ' || i from unnest($1::uuid[]) with ordinality as t(u, i)`, [
    users,
    run,
  ]);
  await db.query(
    `insert into devices (id, user_id, device_id, name, registration_id, identity_key, secret_hash)
     select d, u, 1, 'bench', 1, decode('05' || repeat('11', 32), 'hex'), 'seeded-no-secret'
       from unnest($1::uuid[], $2::uuid[]) as t(d, u)`,
    [devices, users],
  );
  const conversations = new Map<string, string>();
  const ids: string[] = [];
  const lo: string[] = [];
  const hi: string[] = [];
  for (const [a, b] of pairs) {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (conversations.has(key)) continue;
    const id = randomUUID();
    conversations.set(key, id);
    const [u, v] = [users[a], users[b]];
    ids.push(id);
    lo.push(u < v ? u : v);
    hi.push(u < v ? v : u);
  }
  await db.query(
    `insert into conversations (id, kind, direct_user_lo, direct_user_hi) select c, 'direct', l, h from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as t(c, l, h)`,
    [ids, lo, hi],
  );
  // conversations between contacts: both members accepted (not message requests), so every delivery writes
  // its receipt and tells the sender, as between people who talk to each other
  await db.query(
    `insert into conversation_members (conversation_id, user_id, accepted_at)
     select c, l, now() from unnest($1::uuid[], $2::uuid[]) as t(c, l) union all select c, h, now() from unnest($1::uuid[], $3::uuid[]) as t(c, h)`,
    [ids, lo, hi],
  );
  const secret = new TextEncoder().encode(BENCH_JWT_SECRET);
  return {
    users,
    devices,
    conversations,
    conversation(a, b) {
      const id = conversations.get(a < b ? `${a}:${b}` : `${b}:${a}`);
      if (!id) throw new Error(`no seeded conversation between ${a} and ${b}`);
      return id;
    },
    token: (i) =>
      new SignJWT({ uid: users[i], did: 1 })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(devices[i])
        .setIssuer('sealed-relay')
        .setAudience('sealed-relay:device')
        .setIssuedAt()
        .setExpirationTime('12h')
        .sign(secret),
  };
}

/** Ring pairs (i, i+1 mod n): each device sends to the next. */
export function ringPairs(n: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => [i, (i + 1) % n] as [number, number]);
}
