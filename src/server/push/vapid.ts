/**
 * VAPID keys for the embedded setup: generated on first start and kept under DATA_DIR, so that browser
 * subscriptions (bound to the application server key they were created with, RFC 8292 §4) survive restarts.
 * A configured VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY always wins.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import webpush from 'web-push';
import type { PushConfig, VapidKeys } from '../config.js';

export const VAPID_FILE = 'push/vapid.json';

export class VapidFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'VapidFileError';
  }
}

function checkKeys(path: string, keys: unknown): VapidKeys {
  const k = keys as Partial<VapidKeys>;
  if (typeof k?.publicKey !== 'string' || typeof k.privateKey !== 'string') throw new VapidFileError(path, 'expected { publicKey, privateKey }');
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(Buffer.from(k.privateKey, 'base64url'));
  } catch {
    throw new VapidFileError(path, 'privateKey is not a P-256 private key');
  }
  if (!ecdh.getPublicKey().equals(Buffer.from(k.publicKey, 'base64url'))) throw new VapidFileError(path, 'publicKey does not match privateKey');
  return { publicKey: k.publicKey, privateKey: k.privateKey };
}

/** Reads DATA_DIR/push/vapid.json, creating it (mode 0600) with fresh keys if absent. Safe against a concurrent first start. */
export async function loadOrCreateVapidKeys(dataDir: string): Promise<VapidKeys & { created: boolean }> {
  const path = join(dataDir, VAPID_FILE);
  try {
    return { ...checkKeys(path, JSON.parse(await readFile(path, 'utf8'))), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (e instanceof VapidFileError) throw e;
      throw new VapidFileError(path, (e as Error).message);
    }
  }
  await mkdir(join(dataDir, 'push'), { recursive: true, mode: 0o700 });
  const keys = webpush.generateVAPIDKeys();
  const tmp = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ ...keys, createdAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    // link() fails if the file appeared meanwhile: then the other process's keys are the ones
    await link(tmp, path);
    return { ...keys, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return { ...checkKeys(path, JSON.parse(await readFile(path, 'utf8'))), created: false };
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * The VAPID keys to use: the configured ones, else (when `generate`, i.e. the embedded setup) the ones kept
 * under `dataDir`, else none (Web Push off).
 */
export async function resolveVapidKeys(push: PushConfig, opts: { dataDir: string; generate: boolean }): Promise<VapidKeys | undefined> {
  if (push.vapid) return push.vapid;
  if (!opts.generate) return undefined;
  const { publicKey, privateKey } = await loadOrCreateVapidKeys(opts.dataDir);
  return { publicKey, privateKey };
}
