/**
 * Encrypted attachments with real files: streaming upload and download (memory stays flat), digest checks,
 * the size limit, access control, binding to messages and the sweep of deleted / expired / never-sent blobs.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachmentDigestMismatchError,
  AttachmentError,
  decryptAttachment,
  downloadAttachment,
  encryptAttachment,
  uploadAttachment,
} from '../../src/client/attachments.js';
import { gql, register, type Registered, startServer, type TestServer, UNLIMITED_AUTH_ENV } from './harness.js';
import { directConversation } from './realtime-helpers.js';
import { testDatabaseUrl } from '../database-url.js';

const MiB = 1024 * 1024;
let s: TestServer;
let base: string;
let work: string;
let blobDir: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'attachments-test-'));
  blobDir = join(work, 'blobs');
  s = await startServer({ maxAttachmentBytes: 24 * MiB, blobDir, attachmentSweepIntervalMs: 0, callSweepIntervalMs: 0 });
  base = s.url.replace(/\/graphql$/, '');
});
const children = new Set<ChildProcess>();
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await s?.stop();
  rmSync(work, { recursive: true, force: true });
});

const SEND = `mutation($i: SendMessageInput!) { sendMessage(input: $i) { __typename ... on Message { id } ... on Error { code message } } }`;
const ATTACH = `mutation($m: ID!, $a: [ID!]!) { attachToMessage(messageId: $m, attachmentIds: $a) {
  __typename ... on AttachmentsBound { messageId attachmentIds } ... on Error { code message } ... on NotFoundError { resource } } }`;
const DELETE = `mutation($m: ID!) { deleteMessage(messageId: $m) { __typename } }`;

async function sendTo(from: Registered, conv: string, to: Registered[], expiresIn?: number): Promise<string> {
  const envelopes = to.map((u) => ({ deviceId: u.deviceUuid, type: 2, ciphertext: randomBytes(48).toString('base64') }));
  const r = await gql(s.url, SEND, { i: { conversationId: conv, clientMessageId: randomUUID(), contentType: 'FILE', envelopes, expiresIn } }, from.token);
  if (r.data?.sendMessage?.__typename !== 'Message') throw new Error(JSON.stringify(r));
  return r.data.sendMessage.id;
}

async function attach(by: Registered, messageId: string, ids: string[]) {
  return (await gql(s.url, ATTACH, { m: messageId, a: ids }, by.token)).data.attachToMessage;
}

async function pair() {
  const a = await register(s.url);
  const b = await register(s.url);
  return { a, b, conv: await directConversation(s.url, a, b) };
}

/** Raw HTTP, for status codes and bodies the client module turns into errors. */
function raw(method: string, path: string, token: string | undefined, body?: Buffer, headers: Record<string, string | number> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function blobFiles(): string[] {
  if (!existsSync(blobDir)) return [];
  return readdirSync(blobDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
}

/** The user's attachment rows (other test files share the database and upload at the same time). */
async function attachmentRows(uploaderUserId: string): Promise<number> {
  const r = await s.app.services.knex.raw('select count(*)::int as n from attachments where uploader_user_id = ?', [uploaderUserId]);
  return r.rows[0].n;
}

/**
 * A server in a process of its own (src/server/main.ts, the production entry point) on the test database, so
 * its memory can be read from outside (/proc/<pid>/status VmRSS) without the test client's buffers in it.
 */
interface SpawnedServer {
  base: string;
  pid: number;
  /** Runs `fn` while the server samples its own memory (memory-probe.mjs); peak growth over the start. */
  measure<T>(gc: boolean, fn: () => Promise<T>): Promise<{ result: T; rss: number; held: number; samples: number }>;
  stop(): Promise<void>;
}

async function spawnServer(env: Record<string, string>): Promise<SpawnedServer> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', './test/server/memory-probe.mjs', 'src/server/main.ts'], {
    env: { ...process.env, ...UNLIMITED_AUTH_ENV, DATABASE_URL: testDatabaseUrl(), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DB_POOL_SIZE: '10', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const reply = (cmd: string) => new Promise<any>((resolve) => {
    const on = (m: any) => {
      if (m?.cmd === cmd) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async measure(gc, fn) {
      const started = reply('started');
      child.send({ cmd: 'start', gc });
      await started;
      const result = await fn();
      const peak = reply('peak');
      child.send({ cmd: 'stop' });
      const p = await peak;
      return { result, rss: p.rss, held: p.held, samples: p.samples };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function httpUpload(url: string, token: string, file: string, size: number): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/attachments`,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': size, 'content-type': 'application/octet-stream' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

function httpDownload(url: string, token: string, id: string, file: string): Promise<{ status: number; length: string | undefined; sha: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/attachments/${id}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const hash = createHash('sha256');
      res.on('data', (c: Buffer) => hash.update(c));
      pipeline(res, createWriteStream(file)).then(
        () => resolve({ status: res.statusCode!, length: res.headers['content-length'], sha: hash.digest('base64') }),
        reject,
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('streaming upload and download', () => {
  // the slow lane (`npm run test:slow`, and CI): a separate server process, 20 MiB each way, GC sampling
  it.runIf(process.env.TEST_SLOW === '1')('round-trips a 20 MB encrypted file with a matching digest while server memory stays flat', async () => {
    const server = await spawnServer({ BLOB_DIR: join(work, 'proc-blobs'), MAX_ATTACHMENT_BYTES: String(24 * MiB) });
    try {
      const graphql = `${server.base}/graphql`;
      const a = await register(graphql);
      const b = await register(graphql);
      const conv = await directConversation(graphql, a, b);
      // a real file, encrypted by the client module, written to disk
      const plainPath = join(work, 'photo.raw');
      const cipherPath = join(work, 'photo.enc');
      const outPath = join(work, 'photo.downloaded');
      writeFileSync(plainPath, randomBytes(20 * MiB));
      const encrypted = await encryptAttachment(readFileSync(plainPath));
      writeFileSync(cipherPath, encrypted.ciphertext);
      const size = encrypted.ciphertext.length;
      // keep only what the recipient gets inside the message: key and digest
      const enc = { key: encrypted.key, digest: encrypted.digest };

      // warm-up (lazy initialisation, JIT) with a small file, so the measurement is of the transfer alone
      writeFileSync(join(work, 'warm.enc'), randomBytes(MiB));
      const warm = await httpUpload(server.base, a.token, join(work, 'warm.enc'), MiB);
      await httpDownload(server.base, a.token, warm.body.id, join(work, 'warm.out'));

      // upload: streamed from disk with Content-Length; the server streams it to the blob store.
      // Measured twice: plain (RSS as the OS sees it, garbage included) and with a GC before each sample
      // (memory the server actually holds while the transfer runs).
      const up = await server.measure(false, () => httpUpload(server.base, a.token, cipherPath, size));
      expect(up.result.status).toBe(201);
      const { id } = up.result.body;
      expect(up.result.body).toEqual({ id, size, digest: Buffer.from(enc.digest).toString('base64') });
      const upHeld = await server.measure(true, () => httpUpload(server.base, a.token, cipherPath, size));
      expect(upHeld.result.body.digest).toBe(up.result.body.digest);

      const r = await gql(
        graphql,
        SEND,
        {
          i: {
            conversationId: conv,
            clientMessageId: randomUUID(),
            contentType: 'FILE',
            envelopes: [{ deviceId: b.deviceUuid, type: 2, ciphertext: randomBytes(48).toString('base64') }],
          },
        },
        a.token,
      );
      const message = r.data.sendMessage.id;
      expect((await gql(graphql, ATTACH, { m: message, a: [id] }, a.token)).data.attachToMessage.__typename).toBe('AttachmentsBound');

      // download by the recipient: streamed to disk, hashed on the way
      const down = await server.measure(false, () => httpDownload(server.base, b.token, id, outPath));
      expect(down.result.status).toBe(200);
      expect(Number(down.result.length)).toBe(size);
      expect(down.result.sha).toBe(Buffer.from(enc.digest).toString('base64'));
      const downHeld = await server.measure(true, () => httpDownload(server.base, b.token, id, outPath));
      expect(downHeld.result.sha).toBe(down.result.sha);

      const decrypted = await decryptAttachment(readFileSync(outPath), enc.key, enc.digest);
      expect(Buffer.from(decrypted).equals(readFileSync(plainPath))).toBe(true);

      const fmt = (n: number) => `${(n / MiB).toFixed(2)} MiB`;
      const line = (name: string, plain: { rss: number; held: number; samples: number }, held: { rss: number; held: number; samples: number }) =>
        `${name}: RSS +${fmt(plain.rss)} (heap+buffers +${fmt(plain.held)}, ${plain.samples} samples); ` +
        `with GC before each sample: RSS +${fmt(held.rss)}, heap+buffers +${fmt(held.held)} (${held.samples} samples)`;
      console.log(
        `20 MiB attachment (${size} bytes ciphertext), peak memory growth of the server process (src/server/main.ts):\n` +
          `  ${line('upload', up, upHeld)}\n  ${line('download', down, downHeld)}`,
      );
      for (const m of [up, upHeld, down, downHeld]) expect(m.samples).toBeGreaterThan(3);
      // nothing is buffered whole: what the server holds during the transfer stays far below the file size
      for (const m of [upHeld, downHeld]) {
        expect(m.rss).toBeLessThan(10 * MiB);
        expect(m.held).toBeLessThan(10 * MiB);
      }
      // without forced GC, RSS also counts per-chunk buffers V8 has not collected yet: never a copy of the file
      expect(up.rss).toBeLessThan(size + 8 * MiB);
      expect(down.rss).toBeLessThan(size);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('the client module uploads, the server reports the digest of what it received, and the recipient decrypts', async () => {
    const { a, b, conv } = await pair();
    const file = new TextEncoder().encode('a small document '.repeat(1000));
    const enc = await encryptAttachment(file);
    expect(enc.key).toHaveLength(32);
    expect(enc.size).toBe(file.length);
    const up = await uploadAttachment(s.url, a.token, enc.ciphertext);
    expect(up.size).toBe(enc.ciphertext.length);
    expect(Buffer.from(up.digest)).toEqual(Buffer.from(enc.digest));
    const message = await sendTo(a, conv, [b]);
    await attach(a, message, [up.id]);
    const ct = await downloadAttachment(base, b.token, up.id);
    expect(await decryptAttachment(ct, enc.key, enc.digest)).toEqual(file);
    // a wrong key fails authentication even with the right digest
    await expect(decryptAttachment(ct, randomBytes(32), enc.digest)).rejects.toMatchObject({ code: 'DecryptFailed' });
  });
});

describe('integrity, limits and access', () => {
  it('a tampered blob fails the digest check in decryptAttachment', async () => {
    const { a, b, conv } = await pair();
    const enc = await encryptAttachment(randomBytes(64 * 1024));
    const { id } = await uploadAttachment(base, a.token, enc.ciphertext);
    await attach(a, await sendTo(a, conv, [b]), [id]);
    // flip one byte of the stored blob (what a compromised store or a corrupting path would do)
    const path = join(blobDir, id.slice(0, 2), id);
    const stored = readFileSync(path);
    stored[1000] ^= 0x01;
    writeFileSync(path, stored);
    const ct = await downloadAttachment(base, b.token, id);
    const err = await decryptAttachment(ct, enc.key, enc.digest).catch((e) => e);
    expect(err).toBeInstanceOf(AttachmentDigestMismatchError);
    expect(err).toMatchObject({ code: 'DigestMismatch' });
  });

  it('refuses an oversize upload with 413 and a typed error body, storing nothing', async () => {
    const a = await register(s.url);
    const rowsBefore = await attachmentRows(a.userId);
    const filesBefore = blobFiles().length;
    // the declared length decides, before a byte of the body is read
    const big = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request(
        `${base}/attachments`,
        { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-length': 24 * MiB + 1 } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.write(randomBytes(64 * 1024));
    });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({
      error: { code: 'ATTACHMENT_TOO_LARGE', message: expect.stringMatching(/over the limit/), max: 24 * MiB, actual: 24 * MiB + 1 },
    });
    expect(await attachmentRows(a.userId)).toBe(rowsBefore);
    expect(blobFiles().length).toBe(filesBefore);

    // through the client module, on a server with a small limit
    const small = await startServer({ maxAttachmentBytes: 4096, blobDir: join(work, 'small-blobs'), attachmentSweepIntervalMs: 0, callSweepIntervalMs: 0 });
    try {
      const u = await register(small.url);
      const err = await uploadAttachment(small.url, u.token, randomBytes(5000)).catch((e) => e);
      expect(err).toBeInstanceOf(AttachmentError);
      expect(err).toMatchObject({ code: 'TooLarge', status: 413 });
      expect(existsSync(join(work, 'small-blobs')) ? readdirSync(join(work, 'small-blobs'), { recursive: true }).filter((f) => String(f).includes('-')) : []).toEqual([]);
    } finally {
      await small.stop();
    }
  });

  it('requires Content-Length and authentication; a body shorter than declared stores nothing', async () => {
    const a = await register(s.url);
    const chunked = await raw('POST', '/attachments', a.token, randomBytes(100), { 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(411);
    expect(JSON.parse(chunked.body.toString()).error.code).toBe('LENGTH_REQUIRED');
    const anon = await raw('POST', '/attachments', undefined, randomBytes(10));
    expect(anon.status).toBe(401);
    expect(JSON.parse(anon.body.toString()).error.code).toBe('UNAUTHENTICATED');
    expect((await raw('GET', `/attachments/${randomUUID()}`, 'garbage')).status).toBe(401);

    const rowsBefore = await attachmentRows(a.userId);
    // declares 1 MiB, sends 1 KiB, then hangs up
    await new Promise<void>((resolve) => {
      const req = request(`${base}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-length': MiB } });
      req.on('error', () => resolve());
      req.write(randomBytes(1024), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await attachmentRows(a.userId)).toBe(rowsBefore);
    expect(readdirSync(join(blobDir, 'tmp'))).toEqual([]);
  });

  it('serves a blob to its uploader and to participants of a conversation it was sent in; a stranger gets 404', async () => {
    const { a, b, conv } = await pair();
    const stranger = await register(s.url);
    const enc = await encryptAttachment(randomBytes(1000));
    const { id } = await uploadAttachment(base, a.token, enc.ciphertext);
    // before it is sent, only the uploader can read it
    expect(await downloadAttachment(base, a.token, id)).toEqual(enc.ciphertext);
    const before = await raw('GET', `/attachments/${id}`, b.token);
    expect(before.status).toBe(404);
    expect(JSON.parse(before.body.toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });

    const message = await sendTo(a, conv, [b]);
    // binding is the sender's (and uploader's) alone: someone else's message is not found, as a missing one
    expect(await attach(b, message, [id])).toMatchObject({ __typename: 'NotFoundError', resource: 'Message' });
    const bUpload = await uploadAttachment(base, b.token, randomBytes(100));
    expect(await attach(a, message, [bUpload.id])).toMatchObject({ __typename: 'NotFoundError' });
    expect(await attach(a, message, [id])).toMatchObject({ __typename: 'AttachmentsBound' });

    const ok = await raw('GET', `/attachments/${id}`, b.token);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-length']).toBe(String(enc.ciphertext.length));
    expect(new Uint8Array(ok.body)).toEqual(enc.ciphertext);

    const denied = await raw('GET', `/attachments/${id}`, stranger.token);
    expect(denied.status).toBe(404);
    expect(JSON.parse(denied.body.toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });
    await expect(downloadAttachment(base, stranger.token, id)).rejects.toMatchObject({ code: 'NotFound', status: 404 });
    expect((await raw('GET', '/attachments/../../etc/passwd', a.token)).status).toBe(404);
    expect((await raw('GET', '/attachments/%E0%A4%A', a.token)).status).toBe(404);
    expect((await raw('DELETE', `/attachments/${id}`, a.token)).status).toBe(405);
  });
});

describe('sendMessage with attachmentIds', () => {
  it('binds the attachments in the same transaction; a foreign or unknown attachment refuses the whole send (nothing stored)', async () => {
    const { a, b, conv } = await pair();
    const mine = await uploadAttachment(base, a.token, randomBytes(300));
    const theirs = await uploadAttachment(base, b.token, randomBytes(300));
    const clientMessageId = randomUUID();
    const input = (attachmentIds: string[]) => ({
      conversationId: conv,
      clientMessageId,
      contentType: 'IMAGE',
      envelopes: [{ deviceId: b.deviceUuid, type: 2, ciphertext: randomBytes(48).toString('base64') }],
      attachmentIds,
    });
    for (const ids of [[mine.id, theirs.id], [randomUUID()]]) {
      const refused = await gql(s.url, SEND, { i: input(ids) }, a.token);
      expect(refused.data.sendMessage).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    }
    // nothing was stored: the same clientMessageId now stores a new message, with the attachment bound
    expect((await raw('GET', `/attachments/${mine.id}`, b.token)).status).toBe(404);
    const sent = await gql(s.url, SEND, { i: input([mine.id]) }, a.token);
    expect(sent.data.sendMessage.__typename).toBe('Message');
    expect(await s.app.services.attachments.ofMessage(sent.data.sendMessage.id)).toEqual([mine.id]);
    expect((await raw('GET', `/attachments/${mine.id}`, b.token)).status).toBe(200);
  });
});

describe('deletion', () => {
  it("a deleted message's blob is gone after the sweep; a blob still in a live message stays", async () => {
    const { a, b, conv } = await pair();
    const one = await uploadAttachment(base, a.token, randomBytes(2000));
    const shared = await uploadAttachment(base, a.token, randomBytes(2000));
    const m1 = await sendTo(a, conv, [b]);
    const m2 = await sendTo(a, conv, [b]);
    await attach(a, m1, [one.id, shared.id]);
    await attach(a, m2, [shared.id]); // forwarded: bound to a second message
    const path = (id: string) => join(blobDir, id.slice(0, 2), id);
    expect(existsSync(path(one.id))).toBe(true);

    expect((await gql(s.url, DELETE, { m: m1 }, a.token)).data.deleteMessage.__typename).toBe('Message');
    // deleted for everyone: unreadable at once, gone after the sweep
    expect((await raw('GET', `/attachments/${one.id}`, b.token)).status).toBe(404);
    const swept = await s.app.services.attachmentSweeper.runOnce();
    expect(swept).toContain(one.id);
    expect(swept).not.toContain(shared.id);
    expect(existsSync(path(one.id))).toBe(false);
    expect((await raw('GET', `/attachments/${one.id}`, a.token)).status).toBe(404);
    // the forwarded copy still serves
    expect((await raw('GET', `/attachments/${shared.id}`, b.token)).status).toBe(200);
  });

  it('sweeps blobs of expired messages and uploads never attached within the TTL', async () => {
    const { a, b, conv } = await pair();
    const expiring = await uploadAttachment(base, a.token, randomBytes(500));
    const orphan = await uploadAttachment(base, a.token, randomBytes(500));
    const fresh = await uploadAttachment(base, a.token, randomBytes(500));
    const expiringMessage = await sendTo(a, conv, [b], 1);
    await attach(a, expiringMessage, [expiring.id]);
    await s.app.services.knex.raw(`update attachments set created_at = now() - interval '2 days' where id = ?`, [orphan.id]);
    // the message's timer runs out on the database clock
    await s.app.services.knex.raw(`update messages set expires_at = now() - interval '1 second' where id = ?`, [expiringMessage]);
    expect((await raw('GET', `/attachments/${expiring.id}`, b.token)).status).toBe(404);
    const swept = await s.app.services.attachmentSweeper.runOnce();
    expect(swept).toEqual(expect.arrayContaining([expiring.id, orphan.id]));
    expect(swept).not.toContain(fresh.id);
    // an upload past its TTL can no longer be attached
    const m = await sendTo(a, conv, [b]);
    expect(await attach(a, m, [orphan.id])).toMatchObject({ __typename: 'NotFoundError' });
    expect(await attach(a, m, [fresh.id])).toMatchObject({ __typename: 'AttachmentsBound' });
  });
});

describe('crash leftovers', () => {
  it('the sweep deletes incomplete uploads and blobs no row knows once they are old, and keeps recorded blobs', async () => {
    const { a } = await pair();
    const kept = await uploadAttachment(base, a.token, randomBytes(300));
    // what a kill -9 leaves: a partial upload, and a blob stored but never recorded
    const orphanId = randomUUID();
    mkdirSync(join(blobDir, orphanId.slice(0, 2)), { recursive: true });
    const orphanPath = join(blobDir, orphanId.slice(0, 2), orphanId);
    const partPath = join(blobDir, 'tmp', `${randomUUID()}.part`);
    writeFileSync(orphanPath, randomBytes(100));
    writeFileSync(partPath, randomBytes(100));
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    for (const p of [orphanPath, partPath, join(blobDir, kept.id.slice(0, 2), kept.id)]) utimesSync(p, hourAgo, hourAgo);
    const deleted = await s.app.services.attachments.sweepOrphans();
    expect(deleted).toContain(orphanId);
    expect(deleted).not.toContain(kept.id);
    expect(existsSync(orphanPath)).toBe(false);
    expect(existsSync(partPath)).toBe(false);
    expect(existsSync(join(blobDir, kept.id.slice(0, 2), kept.id))).toBe(true);
  });
});
