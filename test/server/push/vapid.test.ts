/** VAPID keys for the embedded setup: generated once under DATA_DIR, then the same keys on every start. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webpush from 'web-push';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/server/config.js';
import { loadOrCreateVapidKeys, resolveVapidKeys, VAPID_FILE, VapidFileError } from '../../../src/server/push/vapid.js';

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vapid-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('VAPID keys', () => {
  it('generates a key pair on first start, readable only by the owner, and returns the same pair afterwards', async () => {
    const dir = await dataDir();
    const first = await loadOrCreateVapidKeys(dir);
    expect(first.created).toBe(true);
    expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65);
    expect(Buffer.from(first.privateKey, 'base64url')).toHaveLength(32);
    expect((await stat(join(dir, VAPID_FILE))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateVapidKeys(dir);
    expect(again).toEqual({ ...first, created: false });
  });

  it('hands every one of several concurrent first starts the same pair', async () => {
    const dir = await dataDir();
    const all = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateVapidKeys(dir)));
    expect(new Set(all.map((k) => k.publicKey)).size).toBe(1);
    expect(all.filter((k) => k.created)).toHaveLength(1);
  });

  it('refuses a kept file whose keys do not belong together', async () => {
    const dir = await dataDir();
    await loadOrCreateVapidKeys(dir);
    const kept = JSON.parse(await readFile(join(dir, VAPID_FILE), 'utf8'));
    await writeFile(join(dir, VAPID_FILE), JSON.stringify({ ...kept, publicKey: webpush.generateVAPIDKeys().publicKey }));
    await expect(loadOrCreateVapidKeys(dir)).rejects.toBeInstanceOf(VapidFileError);
  });

  it('prefers configured keys, generates only for the embedded setup, and is off otherwise', async () => {
    const dir = await dataDir();
    const configured = webpush.generateVAPIDKeys();
    const withKeys = loadConfig({
      VAPID_PUBLIC_KEY: configured.publicKey,
      VAPID_PRIVATE_KEY: configured.privateKey,
      VAPID_SUBJECT: 'https://relay.example/contact',
    }).push;
    expect(await resolveVapidKeys(withKeys, { dataDir: dir, generate: true })).toEqual(configured);
    const none = loadConfig({}).push;
    expect(await resolveVapidKeys(none, { dataDir: dir, generate: false })).toBeUndefined();
    const generated = await resolveVapidKeys(none, { dataDir: dir, generate: true });
    expect(generated?.publicKey).toBe((await loadOrCreateVapidKeys(dir)).publicKey);
  });
});
