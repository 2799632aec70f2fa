/** createPush: the providers that configuration turns on, the kinds registration accepts, and the embedded setup's VAPID keys. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/server/config.js';
import { LocalDeviceActivity } from '../../../src/server/push/device-activity.js';
import { createPush } from '../../../src/server/push/push.js';
import { loadOrCreateVapidKeys } from '../../../src/server/push/vapid.js';
import { createDevice, openTestOrm } from './db.js';
import { newApnsKey } from './peers/apns-server.js';
import { writeFileSync } from 'node:fs';

let orm: MikroORM;
let dataDir: string;

beforeAll(async () => {
  orm = await openTestOrm();
  dataDir = await mkdtemp(join(tmpdir(), 'push-domain-'));
});

afterAll(async () => {
  await orm.close(true);
  await rm(dataDir, { recursive: true, force: true });
});

describe('createPush', () => {
  it('serves Web Push on keys generated under DATA_DIR in the embedded setup, and refuses unconfigured kinds', async () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    const push = await createPush({ config, orm, activity: new LocalDeviceActivity(), generateVapid: true });
    try {
      expect(push.vapidPublicKey).toBe((await loadOrCreateVapidKeys(dataDir)).publicKey);
      expect(push.notifier.enabledKinds.sort()).toEqual(['UNIFIED_PUSH', 'WEB_PUSH']);
      const device = await createDevice(orm);
      await expect(push.targets.register(device, { kind: 'FCM', token: 'a'.repeat(40) })).rejects.toMatchObject({ code: 'PUSH_KIND_UNAVAILABLE' });
    } finally {
      await push.close();
    }
  });

  it('turns Web Push off without keys outside the embedded setup, and APNs on with its key', async () => {
    const key = newApnsKey();
    const p8 = join(dataDir, 'AuthKey_ABC123DEFG.p8');
    writeFileSync(p8, key.pem);
    const config = loadConfig({ DATA_DIR: join(dataDir, 'none'), APNS_KEY_FILE: p8, APNS_KEY_ID: 'ABC123DEFG', APNS_TEAM_ID: 'DEF123GHIJ' });
    const push = await createPush({ config, orm, activity: new LocalDeviceActivity(), generateVapid: false });
    try {
      expect(push.vapidPublicKey).toBeUndefined();
      expect(push.notifier.enabledKinds.sort()).toEqual(['APNS', 'UNIFIED_PUSH']);
      const device = await createDevice(orm);
      await expect(push.targets.register(device, { kind: 'WEB_PUSH', endpoint: 'https://push.example.com/x' })).rejects.toMatchObject({
        code: 'PUSH_KIND_UNAVAILABLE',
      });
      const t = await push.targets.register(device, { kind: 'APNS', token: 'ab'.repeat(32), topic: 'org.example.relay', environment: 'production' });
      expect(t.kind).toBe('APNS');
    } finally {
      await push.close();
    }
  });
});
