/** The per-run database for push tests: an ORM on it, and users with devices created as the accounts migration defines them. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { inject } from 'vitest';
import { openOrm } from '../../../src/server/db/orm.js';
import { testDatabaseUrl } from '../../database-url.js';

export async function openTestOrm(): Promise<MikroORM> {
  return openOrm(testDatabaseUrl(), inject('databaseKind') === 'postgresql' ? 4 : 1);
}

/** A user with one device; returns the device's uuid. */
export async function createDevice(orm: MikroORM): Promise<string> {
  const knex = orm.em.getKnex();
  const userId = randomUUID();
  const deviceUuid = randomUUID();
  await knex.raw('insert into users (id, username, display_name) values (?, ?, ?)', [userId, `push_${randomBytes(5).toString('hex')}`, 'Push test']);
  await knex.raw(
    `insert into devices (id, user_id, device_id, name, registration_id, identity_key, secret_hash) values (?, ?, 1, 'phone', 1234, ?, 'x')`,
    [deviceUuid, userId, Buffer.concat([Buffer.from([5]), randomBytes(32)])],
  );
  return deviceUuid;
}

export async function deleteDevice(orm: MikroORM, deviceUuid: string): Promise<void> {
  await orm.em.getKnex().raw('delete from devices where id = ?', [deviceUuid]);
}
