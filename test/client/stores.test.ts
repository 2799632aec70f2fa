import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileStore } from '../../src/client/stores/file-store.js';
import { createMemoryStore } from '../../src/client/stores/memory-store.js';
import type { ClientStore } from '../../src/client/stores/types.js';
import { type Check, type StoreFactory, storeContract } from './store-contract.js';

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'client-store-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const check: Check = {
  equal: (actual, expected, what) => expect(actual, what).toEqual(expected),
  ok: (condition, what) => expect(condition, what).toBe(true),
  rejects: async (promise, predicate, what) => {
    await expect(promise, what).rejects.toSatisfy(predicate);
  },
};

const fileDirs = new WeakMap<ClientStore, string>();
const factories: [string, StoreFactory][] = [
  ['memory', { make: async () => createMemoryStore() }],
  [
    'file',
    {
      make: async () => {
        const dir = await tempDir();
        const s = createFileStore(dir);
        fileDirs.set(s, dir);
        return s;
      },
      reopen: async (s) => createFileStore(fileDirs.get(s)!),
    },
  ],
];

describe.each(factories)('%s store', (_name, factory) => {
  for (const c of storeContract.filter((x) => !x.persistent || factory.reopen)) it(c.name, () => c.run(factory, check));
});

describe('file store', () => {
  it('writes atomically: concurrent writes to one key leave the last value and no temporary files', async () => {
    const dir = await tempDir();
    const s = createFileStore(dir);
    await Promise.all(Array.from({ length: 30 }, (_, i) => s.setCredentials({ userId: `u${i}`, username: 'x', deviceUuid: 'd', deviceId: 1, deviceCredential: 's' })));
    expect((await s.getCredentials())!.userId).toBe('u29');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
