/**
 * Accounts and devices: registration, device linking and removal, token exchange, authentication and the
 * user directory. Device limits are enforced under a lock on the user row, so concurrent link attempts
 * cannot exceed MAX_DEVICES. (Looking users up is the directory domain's: docs/trust.md.)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { isUniqueViolation, query, queryOne } from '../db/sql.js';
import type { Bus } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { InvalidInputError, InvalidKeyError, NotFoundError } from '../kernel/errors.js';
import { rowsPerKey } from '../kernel/batch.js';
import { BoundedPool } from '../kernel/bounded.js';
import { uuidOrNull } from '../kernel/ids.js';
import { isSmallOrderX25519 } from '../kernel/keys.js';
import { checkHttpUrl, checkText } from '../kernel/text.js';
import type { Budget, RateLimiter } from '../ratelimit/index.js';
import { LocalRateLimiter } from '../ratelimit/local-limiter.js';
import { Device, type IDevice, type IUser, User } from './account.entity.js';
import { DeviceLimitError, InvalidCredentialsError, InvalidLinkCodeError, UsernameTakenError } from './accounts.errors.js';
import { deviceCredential, hashDeviceSecret, newDeviceSecret, parseDeviceCredential, type TokenService, verifyDeviceSecret } from './auth.js';

export type AccountsConfig = Pick<
  Config,
  | 'maxDevices'
  | 'linkCodeTtlSeconds'
  | 'hashConcurrency'
  | 'hashQueue'
  | 'authRateBurst'
  | 'authRatePerMinute'
  | 'registerRateBurst'
  | 'registerRatePerHour'
  | 'tokenRateBurst'
  | 'tokenRatePerMinute'
>;

export interface UserRow {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  createdAt: Date;
  /** Whether strangers find the user by exact username (docs/trust.md). */
  discoverable: boolean;
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
  /** `sr1.<Device.id>.<secret>`: what the device exchanges for access tokens (createAccessToken). */
  deviceCredential: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
}

/** A UserRow's columns (the directory domain reads users with them too). */
export const USER_COLS = `id, username, display_name as "displayName", avatar_url as "avatarUrl", created_at as "createdAt", discoverable`;
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
  if (isSmallOrderX25519(key.subarray(1))) throw new InvalidKeyError(field, 'a small-order X25519 point is not a usable key');
}

function checkDevice(d: NewDeviceInput): NewDeviceInput {
  const name = checkText('device.name', d.name, { min: 1, max: 64 });
  if (!Number.isInteger(d.registrationId) || d.registrationId < 1 || d.registrationId > MAX_REGISTRATION_ID) {
    throw new InvalidInputError('device.registrationId', `expected an integer in 1..${MAX_REGISTRATION_ID}`);
  }
  checkIdentityKey('device.identityKey', d.identityKey);
  return { ...d, name };
}

function hashLinkCode(code: string): Buffer {
  return createHash('sha256').update(code).digest();
}

export class AccountsService {
  private readonly authCache = new Map<string, { at: number; userId: string }>();
  private readonly lastSeenWritten = new Map<string, number>();

  private readonly knex: Knex;

  /** scrypt runs here: a few at a time, a bounded queue, SERVER_BUSY beyond (see kernel/bounded.ts). */
  private readonly hashing: BoundedPool;
  private readonly local = new LocalRateLimiter();
  private readonly budgets: { auth: Budget; register: Budget; token: Budget };

  constructor(
    private readonly orm: MikroORM,
    private readonly tokens: TokenService,
    private readonly config: AccountsConfig,
    private readonly bus: Bus,
    private readonly limiter: RateLimiter,
  ) {
    this.knex = orm.em.getKnex();
    this.hashing = new BoundedPool(config.hashConcurrency, config.hashQueue, 'credential checks');
    this.budgets = {
      auth: { burst: config.authRateBurst, refillPerSecond: config.authRatePerMinute / 60 },
      register: { burst: config.registerRateBurst, refillPerSecond: config.registerRatePerHour / 3600 },
      token: { burst: config.tokenRateBurst, refillPerSecond: config.tokenRatePerMinute / 60 },
    };
  }

  /**
   * The rate limits of the anonymous credential operations: per client address (all three share one budget;
   * registrations have a second, slower one) and, for token exchanges, per device. Checked in memory first (a
   * flood is refused without touching the database), then in PostgreSQL (the limits hold across instances).
   */
  private async limit(address: string, op: 'register' | 'linkDevice' | 'createAccessToken', deviceUuid?: string): Promise<void> {
    const takes: [string, Budget][] = [[`auth:${address}`, this.budgets.auth]];
    if (op === 'register') takes.push([`register:${address}`, this.budgets.register]);
    if (deviceUuid) takes.push([`token:${deviceUuid}`, this.budgets.token]);
    for (const [key, b] of takes) this.local.take(key, b, 1, op);
    for (const [key, b] of takes) await this.limiter.take(key, b, 1, op);
  }

  /**
   * Seconds until this address may try an anonymous credential operation again (0: now). The router asks
   * before parsing a request without a token, so a flood that spent its budget costs next to nothing.
   */
  anonymousRetryAfter(address: string): number {
    return this.local.retryAfter(`auth:${address}`, this.budgets.auth);
  }

  private hash(secret: string): Promise<string> {
    return this.hashing.run(() => hashDeviceSecret(secret));
  }

  async register(input: RegisterInput, externalSubject: string | null = null, clientAddress = 'internal'): Promise<DeviceCredentials> {
    const username = typeof input.username === 'string' ? input.username.trim() : '';
    if (!USERNAME.test(username)) {
      throw new InvalidInputError('username', '3 to 32 characters: letters, digits, "_", "." or "-"');
    }
    const displayName = checkText('displayName', input.displayName, { min: 1, max: 64 });
    const avatarUrl = checkHttpUrl('avatarUrl', input.avatarUrl);
    const device = checkDevice(input.device);
    await this.limit(clientAddress, 'register');
    const deviceUuid = randomUUID();
    const secret = newDeviceSecret();
    const secretHash = await this.hash(secret);

    const { user, dev } = await this.knex.transaction(async (trx) => {
      if (externalSubject) {
        // Behind an external login the identity provider vouches for the user: a second registration
        // with the same subject enrols another device of the same user.
        const existing = await queryOne<UserRow>(trx, `select ${USER_COLS} from users where external_subject = ?`, [externalSubject]);
        if (existing) return { user: existing, dev: await this.addDevice(trx, existing.id, deviceUuid, device, secretHash) };
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
      return { user: user!, dev: await this.addDevice(trx, id, deviceUuid, device, secretHash) };
    });
    const { token, expiresAt } = await this.tokens.issue({ userId: user.id, deviceUuid: dev.id, deviceId: dev.deviceId });
    return { user, device: dev, deviceCredential: deviceCredential(dev.id, secret), accessToken: token, accessTokenExpiresAt: expiresAt };
  }

  /** Adds a device to a user under a lock on the user row; reuses the lowest free device id. */
  private async addDevice(trx: Knex.Transaction, userId: string, deviceUuid: string, d: NewDeviceInput, secretHash: string): Promise<DeviceRow> {
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
      [deviceUuid, userId, deviceId, d.name, d.registrationId, Buffer.from(d.identityKey), secretHash],
    );
    return row!;
  }

  /** Exchanges a device credential (`sr1.<Device.id>.<secret>`, from register or linkDevice) for an access token. */
  async createAccessToken(credential: string, clientAddress = 'internal'): Promise<{ token: string; expiresAt: Date }> {
    const parsed = parseDeviceCredential(credential);
    const deviceUuid = parsed?.deviceUuid ?? null;
    await this.limit(clientAddress, 'createAccessToken', deviceUuid ?? undefined);
    const row = deviceUuid
      ? await queryOne<{ userId: string; deviceId: number; secretHash: string }>(
          this.knex,
          `select user_id as "userId", device_id as "deviceId", secret_hash as "secretHash" from devices where id = ?`,
          [deviceUuid],
        )
      : undefined;
    // Hash even when the device is unknown, so timing does not reveal which device ids exist.
    const stored = row?.secretHash ?? (await dummyHash());
    const ok = await this.hashing.run(() => verifyDeviceSecret(parsed?.secret ?? '', stored));
    if (!row || !ok || !deviceUuid) throw new InvalidCredentialsError();
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
  async linkDevice(code: string, input: NewDeviceInput, clientAddress = 'internal'): Promise<DeviceCredentials> {
    const device = checkDevice(input);
    await this.limit(clientAddress, 'linkDevice');
    const deviceUuid = randomUUID();
    const secret = newDeviceSecret();
    const secretHash = await this.hash(secret);
    const { user, dev } = await this.knex.transaction(async (trx) => {
      const link = await queryOne<{ userId: string }>(
        trx,
        'delete from device_link_codes where code_hash = ? and expires_at > now() returning user_id as "userId"',
        [hashLinkCode(code)],
      );
      if (!link) throw new InvalidLinkCodeError();
      const dev = await this.addDevice(trx, link.userId, deviceUuid, device, secretHash);
      const user = (await queryOne<UserRow>(trx, `select ${USER_COLS} from users where id = ?`, [link.userId]))!;
      return { user, dev };
    });
    this.bus.publish('deviceListChanged', user.id, { userId: user.id });
    const { token, expiresAt } = await this.tokens.issue({ userId: user.id, deviceUuid: dev.id, deviceId: dev.deviceId });
    return { user, device: dev, deviceCredential: deviceCredential(dev.id, secret), accessToken: token, accessTokenExpiresAt: expiresAt };
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
    } else if (cached.userId !== claims.userId) {
      return null;
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

  // ------------------------------------------------------------ profiles and device lists (MikroORM)

  async userById(id: string): Promise<UserRow | null> {
    const uid = uuidOrNull(id);
    if (!uid) return null;
    const u = await this.orm.em.fork().findOne(User, { id: uid });
    return u ? userRow(u) : null;
  }

  /** Users by id, in the order asked (null for unknown ids): the batch behind the per-request user loader. */
  async usersByIds(ids: readonly string[]): Promise<(UserRow | null)[]> {
    const valid = [...new Set(ids.filter((id) => uuidOrNull(id)))];
    const found = valid.length ? await this.orm.em.fork().find(User, { id: { $in: valid } }) : [];
    const byId = new Map(found.map((u) => [u.id, userRow(u)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Changes the caller's display name and/or avatar (an empty avatar URL removes it). */
  async updateProfile(auth: AuthDevice, patch: { displayName?: string | null; avatarUrl?: string | null }): Promise<UserRow> {
    const em = this.orm.em.fork();
    const user = await em.findOneOrFail(User, { id: auth.userId });
    if (patch.displayName != null) user.displayName = checkText('displayName', patch.displayName, { min: 1, max: 64 });
    if (patch.avatarUrl !== undefined) user.avatarUrl = checkHttpUrl('avatarUrl', patch.avatarUrl);
    await em.flush();
    return userRow(user);
  }

  async devicesOf(userId: string): Promise<DeviceRow[]> {
    return (await this.devicesOfUsers([userId]))[0];
  }

  /** Each user's devices in device-id order: the batch behind the per-request device-list loader. */
  async devicesOfUsers(userIds: readonly string[]): Promise<DeviceRow[][]> {
    const valid = [...new Set(userIds.filter((id) => uuidOrNull(id)))];
    const found = valid.length ? await this.orm.em.fork().find(Device, { user: { $in: valid } }, { orderBy: { deviceId: 'asc' } }) : [];
    return rowsPerKey(userIds, found.map(deviceRow), (d) => d.userId);
  }

  /** When each user was last seen: the latest last_seen_at of their devices (unknown users are left out). */
  async lastSeen(userIds: readonly string[]): Promise<Map<string, Date>> {
    const valid = [...new Set(userIds.filter((id) => uuidOrNull(id)))];
    const devices = valid.length ? await this.orm.em.fork().find(Device, { user: { $in: valid } }, { fields: ['user', 'lastSeenAt'] }) : [];
    const out = new Map<string, Date>();
    for (const d of devices) {
      const prev = out.get(d.user.id);
      if (!prev || d.lastSeenAt > prev) out.set(d.user.id, d.lastSeenAt);
    }
    return out;
  }
}

function userRow(u: IUser): UserRow {
  return { id: u.id, username: u.username, displayName: u.displayName, avatarUrl: u.avatarUrl ?? null, createdAt: u.createdAt, discoverable: u.discoverable };
}

function deviceRow(d: IDevice): DeviceRow {
  return {
    id: d.id,
    userId: d.user.id,
    deviceId: d.deviceId,
    name: d.name,
    registrationId: d.registrationId,
    identityKey: new Uint8Array(d.identityKey.buffer, d.identityKey.byteOffset, d.identityKey.byteLength),
    createdAt: d.createdAt,
    lastSeenAt: d.lastSeenAt,
  };
}

let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashDeviceSecret(newDeviceSecret());
  return dummy;
}
