/**
 * Accounts and devices: registration, device linking and removal, token exchange, authentication and the
 * user directory. Device limits are enforced under a lock on the user row, so concurrent link attempts
 * cannot exceed MAX_DEVICES.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { isUniqueViolation, query, queryOne, type Sql } from '../db/sql.js';
import type { AuthDevice } from '../graphql/context.js';
import {
  DeviceLimitError,
  InvalidCredentialsError,
  InvalidInputError,
  InvalidKeyError,
  InvalidLinkCodeError,
  NotFoundError,
  UsernameTakenError,
} from '../graphql/errors.js';
import type { EventBus } from '../realtime/pubsub.js';
import { hashDeviceSecret, newDeviceSecret, type TokenService, verifyDeviceSecret } from './auth.js';

export interface UserRow {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  createdAt: Date;
}

export interface DeviceRow {
  id: string;
  userId: string;
  deviceId: number;
  name: string;
  registrationId: number;
  identityKey: Uint8Array;
  createdAt: Date;
  lastSeenAt: Date;
}

export interface NewDeviceInput {
  name: string;
  registrationId: number;
  identityKey: Uint8Array;
}

export interface RegisterInput {
  username: string;
  displayName: string;
  avatarUrl?: string | null;
  device: NewDeviceInput;
}

export interface DeviceCredentials {
  user: UserRow;
  device: DeviceRow;
  deviceSecret: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
}

const USER_COLS = `id, username, display_name as "displayName", avatar_url as "avatarUrl", created_at as "createdAt"`;
const DEVICE_COLS = `id, user_id as "userId", device_id as "deviceId", name, registration_id as "registrationId",
  identity_key as "identityKey", created_at as "createdAt", last_seen_at as "lastSeenAt"`;

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
/** Signal's registration ids are 14-bit, never 0. */
const MAX_REGISTRATION_ID = 16380;
const MAX_DEVICE_ID = 127;
/** Authentications of one device are cached this long; removal invalidates the entry at once. */
const AUTH_CACHE_MS = 10_000;
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** X25519 public key as libsignal serializes it: 0x05 || 32 bytes. */
export function checkIdentityKey(field: string, key: Uint8Array): void {
  if (key.length !== 33) throw new InvalidKeyError(field, `expected 33 bytes (0x05 || 32), got ${key.length}`);
  if (key[0] !== 0x05) throw new InvalidKeyError(field, `expected type byte 0x05, got 0x${key[0].toString(16).padStart(2, '0')}`);
}

function checkText(field: string, v: string, min: number, max: number): string {
  const s = v.trim();
  if (s.length < min || s.length > max) throw new InvalidInputError(field, `expected ${min} to ${max} characters`);
  return s;
}

function checkDevice(d: NewDeviceInput): NewDeviceInput {
  const name = checkText('device.name', d.name, 1, 64);
  if (!Number.isInteger(d.registrationId) || d.registrationId < 1 || d.registrationId > MAX_REGISTRATION_ID) {
    throw new InvalidInputError('device.registrationId', `expected an integer in 1..${MAX_REGISTRATION_ID}`);
  }
  checkIdentityKey('device.identityKey', d.identityKey);
  return { ...d, name };
}

function checkAvatarUrl(v: string | null | undefined): string | null {
  if (v == null || v === '') return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidInputError('avatarUrl', 'not a valid URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new InvalidInputError('avatarUrl', 'expected an http(s) URL');
  if (v.length > 2048) throw new InvalidInputError('avatarUrl', 'at most 2048 characters');
  return v;
}

function hashLinkCode(code: string): Buffer {
  return createHash('sha256').update(code).digest();
}

export class AccountsService {
  private readonly authCache = new Map<string, { at: number; userId: string }>();
  private readonly lastSeenWritten = new Map<string, number>();

  constructor(
    private readonly knex: Knex,
    private readonly tokens: TokenService,
    private readonly config: Pick<Config, 'maxDevices' | 'linkCodeTtlSeconds'>,
    private readonly bus: EventBus,
  ) {}

  async register(input: RegisterInput, externalSubject: string | null = null): Promise<DeviceCredentials> {
    const username = input.username.trim();
    if (!USERNAME.test(username)) {
      throw new InvalidInputError('username', '3 to 32 characters: letters, digits, "_", "." or "-"');
    }
    const displayName = checkText('displayName', input.displayName, 1, 64);
    const avatarUrl = checkAvatarUrl(input.avatarUrl);
    const device = checkDevice(input.device);
    const secret = newDeviceSecret();
    const secretHash = await hashDeviceSecret(secret);

    const { user, dev } = await this.knex.transaction(async (trx) => {
      if (externalSubject) {
        // Behind an external login the identity provider vouches for the user: a second registration
        // with the same subject enrols another device of the same user.
        const existing = await queryOne<UserRow>(trx, `select ${USER_COLS} from users where external_subject = ?`, [externalSubject]);
        if (existing) return { user: existing, dev: await this.addDevice(trx, existing.id, device, secretHash) };
      }
      const id = randomUUID();
      let user: UserRow | undefined;
      try {
        user = await queryOne<UserRow>(
          trx,
          `insert into users (id, username, display_name, avatar_url, external_subject) values (?, ?, ?, ?, ?) returning ${USER_COLS}`,
          [id, username, displayName, avatarUrl, externalSubject],
        );
      } catch (err) {
        if (isUniqueViolation(err, 'users_username_lower_key')) throw new UsernameTakenError(username);
        throw err;
      }
      return { user: user!, dev: await this.addDevice(trx, id, device, secretHash) };
    });
    const { token, expiresAt } = await this.tokens.issue({ userId: user.id, deviceUuid: dev.id, deviceId: dev.deviceId });
    return { user, device: dev, deviceSecret: secret, accessToken: token, accessTokenExpiresAt: expiresAt };
  }

  /** Adds a device to a user under a lock on the user row; reuses the lowest free device id. */
  private async addDevice(trx: Knex.Transaction, userId: string, d: NewDeviceInput, secretHash: string): Promise<DeviceRow> {
    await query(trx, 'select id from users where id = ? for update', [userId]);
    const taken = (await query<{ deviceId: number }>(trx, 'select device_id as "deviceId" from devices where user_id = ?', [userId])).map(
      (r) => r.deviceId,
    );
    if (taken.length >= this.config.maxDevices) throw new DeviceLimitError(this.config.maxDevices);
    let deviceId = 1;
    while (taken.includes(deviceId)) deviceId++;
    if (deviceId > MAX_DEVICE_ID) throw new DeviceLimitError(this.config.maxDevices);
    const row = await queryOne<DeviceRow>(
      trx,
      `insert into devices (id, user_id, device_id, name, registration_id, identity_key, secret_hash)
       values (?, ?, ?, ?, ?, ?, ?) returning ${DEVICE_COLS}`,
      [randomUUID(), userId, deviceId, d.name, d.registrationId, Buffer.from(d.identityKey), secretHash],
    );
    return row!;
  }

  async createAccessToken(deviceUuid: string, secret: string): Promise<{ token: string; expiresAt: Date }> {
    const row = await queryOne<{ userId: string; deviceId: number; secretHash: string }>(
      this.knex,
      `select user_id as "userId", device_id as "deviceId", secret_hash as "secretHash" from devices where id = ?`,
      [uuidOrNull(deviceUuid)],
    );
    // Hash even when the device is unknown, so timing does not reveal which device ids exist.
    const ok = await verifyDeviceSecret(secret, row?.secretHash ?? (await dummyHash()));
    if (!row || !ok) throw new InvalidCredentialsError();
    await this.touch(deviceUuid, true);
    return this.tokens.issue({ userId: row.userId, deviceUuid, deviceId: row.deviceId });
  }

  async createLinkCode(auth: AuthDevice): Promise<{ code: string; expiresAt: Date }> {
    const code = randomBytes(16).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.linkCodeTtlSeconds * 1000);
    await query(this.knex, 'delete from device_link_codes where expires_at < now()');
    await query(this.knex, 'insert into device_link_codes (code_hash, user_id, created_by, expires_at) values (?, ?, ?, ?)', [
      hashLinkCode(code),
      auth.userId,
      auth.deviceUuid,
      expiresAt,
    ]);
    return { code, expiresAt };
  }

  /** Consumes a link code and adds the device; a refused link (e.g. device limit) keeps the code. */
  async linkDevice(code: string, input: NewDeviceInput): Promise<DeviceCredentials> {
    const device = checkDevice(input);
    const secret = newDeviceSecret();
    const secretHash = await hashDeviceSecret(secret);
    const { user, dev } = await this.knex.transaction(async (trx) => {
      const link = await queryOne<{ userId: string }>(
        trx,
        'delete from device_link_codes where code_hash = ? and expires_at > now() returning user_id as "userId"',
        [hashLinkCode(code)],
      );
      if (!link) throw new InvalidLinkCodeError();
      const dev = await this.addDevice(trx, link.userId, device, secretHash);
      const user = (await queryOne<UserRow>(trx, `select ${USER_COLS} from users where id = ?`, [link.userId]))!;
      return { user, dev };
    });
    this.bus.publish('deviceListChanged', user.id, { userId: user.id });
    const { token, expiresAt } = await this.tokens.issue({ userId: user.id, deviceUuid: dev.id, deviceId: dev.deviceId });
    return { user, device: dev, deviceSecret: secret, accessToken: token, accessTokenExpiresAt: expiresAt };
  }

  async removeDevice(auth: AuthDevice, deviceUuid: string): Promise<DeviceRow> {
    const removed = await this.knex.transaction(async (trx) => {
      await query(trx, 'select id from users where id = ? for update', [auth.userId]);
      const count = await queryOne<{ n: number }>(trx, 'select count(*)::int as n from devices where user_id = ?', [auth.userId]);
      const row = await queryOne<DeviceRow>(trx, `delete from devices where id = ? and user_id = ? returning ${DEVICE_COLS}`, [
        uuidOrNull(deviceUuid),
        auth.userId,
      ]);
      if (!row) throw new NotFoundError('Device', deviceUuid);
      if (count!.n <= 1) throw new InvalidInputError('deviceId', 'a user keeps at least one device');
      return row;
    });
    this.authCache.delete(deviceUuid);
    this.bus.publish('deviceRemoved', { deviceUuid, userId: auth.userId });
    this.bus.publish('inboxControl', deviceUuid, { removed: true });
    this.bus.publish('deviceListChanged', auth.userId, { userId: auth.userId });
    return removed;
  }

  /** Forgets cached authentications of a removed device (also called for removals on other instances). */
  forgetDevice(deviceUuid: string): void {
    this.authCache.delete(deviceUuid);
  }

  /** Verifies a bearer token and that its device still exists. Null for forged, expired or revoked tokens. */
  async authenticate(token: string): Promise<AuthDevice | null> {
    const claims = await this.tokens.verify(token);
    if (!claims) return null;
    const now = Date.now();
    const cached = this.authCache.get(claims.deviceUuid);
    if (!cached || now - cached.at > AUTH_CACHE_MS) {
      const row = await queryOne<{ userId: string }>(this.knex, 'select user_id as "userId" from devices where id = ?', [claims.deviceUuid]);
      if (!row || row.userId !== claims.userId) {
        this.authCache.delete(claims.deviceUuid);
        return null;
      }
      this.authCache.set(claims.deviceUuid, { at: now, userId: row.userId });
    }
    void this.touch(claims.deviceUuid, false);
    return claims;
  }

  /** Updates last_seen_at, at most once a minute per device unless forced. */
  async touch(deviceUuid: string, force: boolean): Promise<void> {
    const now = Date.now();
    const last = this.lastSeenWritten.get(deviceUuid) ?? 0;
    if (!force && now - last < LAST_SEEN_RESOLUTION_MS) return;
    this.lastSeenWritten.set(deviceUuid, now);
    try {
      await query(this.knex, 'update devices set last_seen_at = now() where id = ?', [deviceUuid]);
    } catch {
      // best effort: last-seen is informational
    }
  }

  async userById(id: string): Promise<UserRow | null> {
    return (await queryOne<UserRow>(this.knex, `select ${USER_COLS} from users where id = ?`, [uuidOrNull(id)])) ?? null;
  }

  async usersByIds(db: Sql, ids: readonly string[]): Promise<UserRow[]> {
    return query<UserRow>(db, `select ${USER_COLS} from users where id = any(?::uuid[])`, [ids]);
  }

  /**
   * Directory search by username prefix or display-name substring, case-insensitive, ordered by
   * lower(username) then id; the cursor is the last row's (lower(username), id).
   */
  async searchUsers(search: string, first: number, after: string | null): Promise<{ items: UserRow[]; endCursor: string | null; hasNextPage: boolean }> {
    const term = checkText('search', search, 1, 64).toLowerCase();
    if (first < 1 || first > 100) throw new InvalidInputError('first', 'expected 1..100');
    const like = term.replace(/[\\%_]/g, (c) => `\\${c}`);
    const params: unknown[] = [`${like}%`, `%${like}%`];
    let cursorSql = '';
    if (after) {
      const [u, id] = decodeCursor(after);
      cursorSql = 'and (lower(username), id) > (?, ?::uuid)';
      params.push(u, id);
    }
    params.push(first + 1);
    const rows = await query<UserRow>(
      this.knex,
      `select ${USER_COLS} from users
        where (lower(username) like ? or lower(display_name) like ?) ${cursorSql}
        order by lower(username), id limit ?`,
      params,
    );
    const hasNextPage = rows.length > first;
    const items = rows.slice(0, first);
    const last = items[items.length - 1];
    return { items, hasNextPage, endCursor: last ? encodeCursor([last.username.toLowerCase(), last.id]) : null };
  }

  async devicesOf(userId: string): Promise<DeviceRow[]> {
    return query<DeviceRow>(this.knex, `select ${DEVICE_COLS} from devices where user_id = ? order by device_id`, [uuidOrNull(userId)]);
  }
}

export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string): string[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(v)) return v.map(String);
  } catch {
    // fall through
  }
  throw new InvalidInputError('after', 'malformed cursor');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Unknown ids that are not even UUIDs simply match nothing. */
export function uuidOrNull(id: string): string | null {
  return UUID.test(id) ? id : null;
}

let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashDeviceSecret(newDeviceSecret());
  return dummy;
}
