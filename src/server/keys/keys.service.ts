/**
 * The key directory. Devices upload public prekeys (the private halves never leave the device); other
 * devices claim bundles to start sessions.
 *
 * - Upload: at most 100 one-time EC and 100 one-time Kyber prekeys per call, plus at most one signed EC
 *   prekey and one Kyber last-resort key. Everything is checked (sizes, type bytes, uint32 ids, ids unique
 *   per device and kind, every XEdDSA signature against the device's identity key) before anything is
 *   stored; the first failure refuses the whole upload. One-time keys are added to the stock (Matrix
 *   semantics; at most MAX_STOCK stored per kind). A new signed prekey / last-resort key becomes the one
 *   handed out; the previous one stays stored for KEY_ROTATION_GRACE_SECONDS, then is purged.
 * - Claim: one statement per call takes, per target device, the oldest one-time EC key and the oldest
 *   one-time Kyber key (else the current last-resort key) with `FOR UPDATE SKIP LOCKED` and deletes what
 *   it took, so each one-time key is handed out at most once under any concurrency. Fetches are rate
 *   limited per (requesting device, target device) inside the same transaction (all or nothing). A user
 *   the target blocked gets no one-time keys (the signed prekey and the last-resort Kyber key, as when the
 *   stock is empty: sessions still start, sends are then dropped, the stock is not drained; docs/trust.md).
 *   Requesters who are not the target's contacts share one budget of one-time keys per target device
 *   (PREKEY_STRANGER_BURST, one more every PREKEY_STRANGER_REFILL_SECONDS): past it they get the bundle
 *   without one-time keys, so fresh accounts cannot drain a stock however many there are.
 * - Low stock: `device_prekey_state` keeps an "armed" flag per one-time kind, set by an upload that
 *   leaves the stock at or above PREKEY_LOW_THRESHOLD; the first claim that leaves it below disarms it
 *   (a conditional UPDATE, so exactly one claim wins) and publishes `preKeysLow` once.
 */
import type { Knex } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { KyberPublicKey, PublicKey } from '../../protocol/index.js';
import type { Config } from '../config.js';
import { acceptedContact, blockedBy } from '../db/predicates.js';
import { isUniqueViolation, query, queryOne, type Sql } from '../db/sql.js';
import type { Bus } from '../events.js';
import type { AuthDevice } from '../kernel/auth.js';
import { InvalidInputError, InvalidKeyError, NotFoundError, RateLimitedError } from '../kernel/errors.js';
import { uuidOrNull } from '../kernel/ids.js';
import { isSmallOrderX25519 } from '../kernel/keys.js';
import { budget, type Budget, type RateLimiter } from '../ratelimit/index.js';
import { DuplicateKeyIdError, InvalidSignatureError } from './keys.errors.js';

export const MAX_KEYS_PER_UPLOAD = 100;
/** One-time keys stored per device and kind at most (a refill tops up to ~100; this leaves room). */
export const MAX_STOCK = 1000;
export const MAX_KEY_ID = 0xffffffff;
const EC_KEY_LENGTH = 33;
const KYBER_KEY_LENGTH = 1569;
const SIGNATURE_LENGTH = 64;
const GLOBAL_PURGE_EVERY_MS = 60_000;

export interface PreKeyInput {
  keyId: number;
  publicKey: Uint8Array;
}
export interface SignedPreKeyInput extends PreKeyInput {
  signature: Uint8Array;
}
export interface UploadPreKeysInput {
  oneTimePreKeys?: readonly PreKeyInput[] | null;
  signedPreKey?: SignedPreKeyInput | null;
  oneTimeKyberPreKeys?: readonly SignedPreKeyInput[] | null;
  lastResortKyberPreKey?: SignedPreKeyInput | null;
}

export interface PreKeyCounts {
  oneTime: number;
  kyberOneTime: number;
  signedPreKeyId: number | null;
  lastResortKyberPreKeyId: number | null;
}

export interface KyberPreKeyOut extends SignedPreKeyInput {
  lastResort: boolean;
}

export interface PreKeyBundleRow {
  userId: string;
  deviceUuid: string;
  deviceId: number;
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: SignedPreKeyInput;
  preKey: PreKeyInput | null;
  kyberPreKey: KyberPreKeyOut | null;
}

export interface PreKeyBundles {
  userId: string;
  bundles: PreKeyBundleRow[];
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

function checkKeyId(field: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_KEY_ID) throw new InvalidInputError(field, `expected an integer in 0..${MAX_KEY_ID}`);
}

function checkEcKey(field: string, key: Uint8Array): void {
  if (key.length !== EC_KEY_LENGTH) throw new InvalidKeyError(field, `expected ${EC_KEY_LENGTH} bytes (0x05 || 32), got ${key.length}`);
  if (key[0] !== 0x05) throw new InvalidKeyError(field, `expected type byte 0x05, got ${hex(key[0])}`);
  PublicKey.deserialize(key); // the protocol library's own format check
  if (isSmallOrderX25519(key.subarray(1))) throw new InvalidKeyError(field, 'a small-order X25519 point is not a usable key');
}

function checkKyberKey(field: string, key: Uint8Array): void {
  if (key.length !== KYBER_KEY_LENGTH) throw new InvalidKeyError(field, `expected ${KYBER_KEY_LENGTH} bytes (0x08 || 1568), got ${key.length}`);
  if (key[0] !== 0x08) throw new InvalidKeyError(field, `expected type byte 0x08, got ${hex(key[0])}`);
  KyberPublicKey.deserialize(key);
}

function checkSignatureLength(field: string, keyId: number, sig: Uint8Array): void {
  if (sig.length !== SIGNATURE_LENGTH) throw new InvalidSignatureError(field, keyId, `expected a ${SIGNATURE_LENGTH}-byte XEdDSA signature, got ${sig.length} bytes`);
}

interface Signed {
  field: string;
  keyId: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

type BundleSqlRow = {
  deviceUuid: string;
  deviceId: number;
  registrationId: number;
  identityKey: Uint8Array;
  spkId: string;
  spk: Uint8Array;
  spkSig: Uint8Array;
  pkId: string | null;
  pk: Uint8Array | null;
  kyberId: string | null;
  kyber: Uint8Array | null;
  kyberSig: Uint8Array | null;
  kyberLastResort: boolean;
  kyberOneTimeTaken: boolean;
};

const bytes = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export class KeysService {
  private lastGlobalPurge = 0;
  readonly fetchBudget: Budget;
  /** One-time keys of one device handed to requesters who are not its user's contacts, all together. */
  readonly strangerBudget: Budget;

  constructor(
    private readonly knex: Knex,
    private readonly config: Pick<Config, 'keyRotationGraceSeconds' | 'preKeyLowThreshold' | 'preKeyFetchBurst' | 'preKeyFetchRefillSeconds' | 'preKeyStrangerBurst' | 'preKeyStrangerRefillSeconds'>,
    private readonly bus: Bus,
    private readonly limiter: RateLimiter,
    private readonly log?: Logger,
  ) {
    this.fetchBudget = budget(config.preKeyFetchBurst, config.preKeyFetchRefillSeconds);
    this.strangerBudget = budget(config.preKeyStrangerBurst, config.preKeyStrangerRefillSeconds);
  }

  // ---------------------------------------------------------------- upload

  async upload(auth: AuthDevice, input: UploadPreKeysInput): Promise<PreKeyCounts> {
    const oneTime = input.oneTimePreKeys ?? [];
    const kyberOneTime = input.oneTimeKyberPreKeys ?? [];
    const spk = input.signedPreKey ?? null;
    const lastResort = input.lastResortKyberPreKey ?? null;
    if (oneTime.length > MAX_KEYS_PER_UPLOAD) {
      throw new InvalidInputError('oneTimePreKeys', `at most ${MAX_KEYS_PER_UPLOAD} keys per upload, got ${oneTime.length}`);
    }
    if (kyberOneTime.length > MAX_KEYS_PER_UPLOAD) {
      throw new InvalidInputError('oneTimeKyberPreKeys', `at most ${MAX_KEYS_PER_UPLOAD} keys per upload, got ${kyberOneTime.length}`);
    }

    // 1. formats, in input order
    const signed: Signed[] = [];
    oneTime.forEach((k, i) => {
      checkKeyId(`oneTimePreKeys[${i}].keyId`, k.keyId);
      checkEcKey(`oneTimePreKeys[${i}].publicKey`, k.publicKey);
    });
    if (spk) {
      checkKeyId('signedPreKey.keyId', spk.keyId);
      checkEcKey('signedPreKey.publicKey', spk.publicKey);
      checkSignatureLength('signedPreKey.signature', spk.keyId, spk.signature);
      signed.push({ field: 'signedPreKey.signature', ...spk });
    }
    kyberOneTime.forEach((k, i) => {
      checkKeyId(`oneTimeKyberPreKeys[${i}].keyId`, k.keyId);
      checkKyberKey(`oneTimeKyberPreKeys[${i}].publicKey`, k.publicKey);
      checkSignatureLength(`oneTimeKyberPreKeys[${i}].signature`, k.keyId, k.signature);
      signed.push({ field: `oneTimeKyberPreKeys[${i}].signature`, ...k });
    });
    if (lastResort) {
      checkKeyId('lastResortKyberPreKey.keyId', lastResort.keyId);
      checkKyberKey('lastResortKyberPreKey.publicKey', lastResort.publicKey);
      checkSignatureLength('lastResortKyberPreKey.signature', lastResort.keyId, lastResort.signature);
      signed.push({ field: 'lastResortKyberPreKey.signature', ...lastResort });
    }

    // 2. ids unique within the call (Kyber one-time and last-resort ids share one space)
    const ecIds = new Map<number, string>();
    oneTime.forEach((k, i) => {
      if (ecIds.has(k.keyId)) throw new DuplicateKeyIdError(`oneTimePreKeys[${i}].keyId`, k.keyId, 'upload');
      ecIds.set(k.keyId, `oneTimePreKeys[${i}].keyId`);
    });
    const kyberIds = new Map<number, string>();
    kyberOneTime.forEach((k, i) => {
      if (kyberIds.has(k.keyId)) throw new DuplicateKeyIdError(`oneTimeKyberPreKeys[${i}].keyId`, k.keyId, 'upload');
      kyberIds.set(k.keyId, `oneTimeKyberPreKeys[${i}].keyId`);
    });
    if (lastResort) {
      if (kyberIds.has(lastResort.keyId)) throw new DuplicateKeyIdError('lastResortKyberPreKey.keyId', lastResort.keyId, 'upload');
      kyberIds.set(lastResort.keyId, 'lastResortKyberPreKey.keyId');
    }

    // 3. every signature, against the device's identity key, before anything is stored
    const dev = await queryOne<{ identityKey: Uint8Array }>(this.knex, 'select identity_key as "identityKey" from devices where id = ?', [auth.deviceUuid]);
    if (!dev) throw new NotFoundError('Device', auth.deviceUuid);
    if (signed.length) {
      const identity = PublicKey.deserialize(bytes(dev.identityKey));
      const results = await Promise.all(signed.map((s) => identity.verifySignature(s.publicKey, s.signature)));
      const bad = results.findIndex((ok) => !ok);
      if (bad >= 0) throw new InvalidSignatureError(signed[bad].field, signed[bad].keyId);
    }

    // 4. store, under a lock on the device's key state (uploads of one device run one at a time)
    const T = this.config.preKeyLowThreshold;
    const device = auth.deviceUuid;
    let counts: PreKeyCounts;
    try {
      counts = await this.knex.transaction(async (trx) => {
        await query(trx, 'insert into device_prekey_state (device) values (?) on conflict (device) do nothing', [device]);
        await query(trx, 'select device from device_prekey_state where device = ? for update', [device]);
        await this.purgeDevice(trx, device);

        // ids against the stored keys (a signed prekey / last-resort key in its grace period counts)
        if (ecIds.size) {
          const taken = await query<{ keyId: string }>(trx, 'select key_id as "keyId" from one_time_prekeys where device = ? and key_id = any(?::bigint[])', [
            device,
            [...ecIds.keys()],
          ]);
          if (taken.length) throw this.firstDuplicate(ecIds, taken);
        }
        if (spk) {
          const taken = await query<{ keyId: string }>(trx, 'select key_id as "keyId" from signed_prekeys where device = ? and key_id = ?', [device, spk.keyId]);
          if (taken.length) throw new DuplicateKeyIdError('signedPreKey.keyId', spk.keyId, 'stored');
        }
        if (kyberIds.size) {
          const taken = await query<{ keyId: string }>(trx, 'select key_id as "keyId" from kyber_prekeys where device = ? and key_id = any(?::bigint[])', [
            device,
            [...kyberIds.keys()],
          ]);
          if (taken.length) throw this.firstDuplicate(kyberIds, taken);
        }

        if (oneTime.length || kyberOneTime.length) {
          const stock = (await this.counts(trx, device))!;
          if (stock.oneTime + oneTime.length > MAX_STOCK) {
            throw new InvalidInputError('oneTimePreKeys', `at most ${MAX_STOCK} one-time prekeys stored per device (${stock.oneTime} stored)`);
          }
          if (stock.kyberOneTime + kyberOneTime.length > MAX_STOCK) {
            throw new InvalidInputError('oneTimeKyberPreKeys', `at most ${MAX_STOCK} one-time Kyber prekeys stored per device (${stock.kyberOneTime} stored)`);
          }
        }

        if (oneTime.length) {
          await query(
            trx,
            `insert into one_time_prekeys (device, key_id, public_key)
             select ?, u.key_id, u.public_key from unnest(?::bigint[], ?::bytea[]) with ordinality as u(key_id, public_key, ord) order by u.ord`,
            [device, oneTime.map((k) => k.keyId), oneTime.map((k) => Buffer.from(k.publicKey))],
          );
        }
        if (spk) {
          await query(trx, 'update signed_prekeys set replaced_at = now() where device = ? and replaced_at is null', [device]);
          await query(trx, 'insert into signed_prekeys (device, key_id, public_key, signature) values (?, ?, ?, ?)', [
            device,
            spk.keyId,
            Buffer.from(spk.publicKey),
            Buffer.from(spk.signature),
          ]);
        }
        if (kyberOneTime.length) {
          await query(
            trx,
            `insert into kyber_prekeys (device, key_id, public_key, signature, last_resort)
             select ?, u.key_id, u.public_key, u.signature, false
               from unnest(?::bigint[], ?::bytea[], ?::bytea[]) with ordinality as u(key_id, public_key, signature, ord) order by u.ord`,
            [device, kyberOneTime.map((k) => k.keyId), kyberOneTime.map((k) => Buffer.from(k.publicKey)), kyberOneTime.map((k) => Buffer.from(k.signature))],
          );
        }
        if (lastResort) {
          await query(trx, 'update kyber_prekeys set replaced_at = now() where device = ? and last_resort and replaced_at is null', [device]);
          await query(trx, 'insert into kyber_prekeys (device, key_id, public_key, signature, last_resort) values (?, ?, ?, ?, true)', [
            device,
            lastResort.keyId,
            Buffer.from(lastResort.publicKey),
            Buffer.from(lastResort.signature),
          ]);
        }

        const after = (await this.counts(trx, device))!;
        // arm the low-stock event for each kind whose stock is at or above the threshold now
        await query(trx, 'update device_prekey_state set one_time_armed = ?, kyber_one_time_armed = ? where device = ?', [
          after.oneTime >= T,
          after.kyberOneTime >= T,
          device,
        ]);
        return after;
      });
    } catch (err) {
      // backstop: ids were checked under the device lock, so only a bypassed lock reaches the constraints
      if (isUniqueViolation(err)) {
        const id = /=\([^,]+, (\d+)\)/.exec(String((err as { detail?: string }).detail ?? ''))?.[1];
        throw new DuplicateKeyIdError('keyId', id ? Number(id) : 0, 'stored');
      }
      throw err;
    }
    await this.maybePurgeAll();
    return counts;
  }

  private firstDuplicate(ids: Map<number, string>, taken: { keyId: string }[]): DuplicateKeyIdError {
    const stored = new Set(taken.map((t) => Number(t.keyId)));
    for (const [id, field] of ids) if (stored.has(id)) return new DuplicateKeyIdError(field, id, 'stored');
    return new DuplicateKeyIdError('keyId', Number(taken[0].keyId), 'stored');
  }

  // ---------------------------------------------------------------- counts

  async countsFor(auth: AuthDevice): Promise<PreKeyCounts> {
    return (await this.counts(this.knex, auth.deviceUuid))!;
  }

  private async counts(db: Sql, device: string): Promise<PreKeyCounts | undefined> {
    const row = await queryOne<{ oneTime: number; kyberOneTime: number; spk: string | null; lr: string | null }>(
      db,
      `select (select count(*) from one_time_prekeys where device = ?)::int as "oneTime",
              (select count(*) from kyber_prekeys where device = ? and not last_resort)::int as "kyberOneTime",
              (select key_id from signed_prekeys where device = ? and replaced_at is null) as spk,
              (select key_id from kyber_prekeys where device = ? and last_resort and replaced_at is null) as lr`,
      [device, device, device, device],
    );
    if (!row) return undefined;
    return {
      oneTime: row.oneTime,
      kyberOneTime: row.kyberOneTime,
      signedPreKeyId: row.spk == null ? null : Number(row.spk),
      lastResortKyberPreKeyId: row.lr == null ? null : Number(row.lr),
    };
  }

  // ---------------------------------------------------------------- claims

  /**
   * Claims one bundle per device of `userId` (all of them except the caller's own device and devices that
   * have not uploaded a signed prekey yet, or exactly the named Signal device ids).
   */
  async claimBundles(auth: AuthDevice, userId: string, deviceIds?: readonly number[] | null): Promise<PreKeyBundles> {
    const uid = uuidOrNull(userId);
    const user = uid
      ? await queryOne<{ id: string; blocked: boolean; contact: boolean }>(
          this.knex,
          `select id, ${blockedBy('id', '?::uuid')} as blocked, (id = ?::uuid or ${acceptedContact('id', '?::uuid')}) as contact from users where id = ?`,
          [auth.userId, auth.userId, auth.userId, uid],
        )
      : undefined;
    if (!user) throw new NotFoundError('User', userId);
    const devices = await query<{ id: string; deviceId: number; ready: boolean }>(
      this.knex,
      `select d.id, d.device_id as "deviceId",
              exists (select 1 from signed_prekeys s where s.device = d.id and s.replaced_at is null) as ready
         from devices d where d.user_id = ? order by d.device_id`,
      [uid],
    );
    let targets: typeof devices;
    if (deviceIds) {
      const wanted = [...new Set(deviceIds)];
      if (wanted.length === 0) throw new InvalidInputError('deviceIds', 'name at least one device, or omit the argument for all devices');
      targets = [];
      for (const id of wanted) {
        if (!Number.isInteger(id) || id < 1 || id > 127) throw new InvalidInputError('deviceIds', `device ids are 1..127, got ${id}`);
        const d = devices.find((x) => x.deviceId === id);
        if (!d) throw new NotFoundError('Device', `${userId}.${id}`);
        if (d.id === auth.deviceUuid) throw new InvalidInputError('deviceIds', 'the calling device does not fetch its own bundle');
        if (!d.ready) throw new NotFoundError('PreKeyBundle', `${userId}.${id}`);
        targets.push(d);
      }
    } else {
      targets = devices.filter((d) => d.ready && d.id !== auth.deviceUuid);
    }
    if (!targets.length) return { userId: user.id, bundles: [] };

    const rows = await this.knex.transaction(async (trx) => {
      const oneTime: boolean[] = [];
      for (const t of targets) {
        await this.limiter.take(`prekey-fetch:${auth.deviceUuid}:${t.id}`, this.fetchBudget, 1, 'prekey bundle fetches', trx);
        oneTime.push(!user.blocked && (user.contact || (await this.strangerMayTake(t.id, trx))));
      }
      return this.claim(
        trx,
        targets.map((t) => t.id),
        oneTime,
      );
    });

    const touched = rows.filter((r) => r.pkId != null || r.kyberOneTimeTaken).map((r) => r.deviceUuid);
    if (touched.length) await this.notifyLow(touched);

    return {
      userId: user.id,
      bundles: rows.map((r) => ({
        userId: user.id,
        deviceUuid: r.deviceUuid,
        deviceId: r.deviceId,
        registrationId: r.registrationId,
        identityKey: bytes(r.identityKey),
        signedPreKey: { keyId: Number(r.spkId), publicKey: bytes(r.spk), signature: bytes(r.spkSig) },
        preKey: r.pkId == null ? null : { keyId: Number(r.pkId), publicKey: bytes(r.pk!) },
        kyberPreKey:
          r.kyberId == null ? null : { keyId: Number(r.kyberId), publicKey: bytes(r.kyber!), signature: bytes(r.kyberSig!), lastResort: r.kyberLastResort },
      })),
    };
  }

  /** Takes from a device's shared budget of one-time keys for strangers; false (no one-time keys) once it is spent. */
  private async strangerMayTake(device: string, trx: Sql): Promise<boolean> {
    try {
      await this.limiter.take(`prekey-stranger:${device}`, this.strangerBudget, 1, 'one-time prekeys for strangers', trx);
      return true;
    } catch (err) {
      if (err instanceof RateLimitedError) return false;
      throw err;
    }
  }

  /**
   * The claim: one statement for all target devices. Per device it deletes and returns the oldest
   * one-time EC key and the oldest one-time Kyber key that no concurrent claim holds (SKIP LOCKED), and
   * joins the current signed prekey and, when no one-time Kyber key was left, the last-resort key.
   * Index use: (device, id) on both one-time tables, so the cost does not grow with the tables. Where
   * `oneTime[i]` is false no one-time key of that device is taken (a blocked requester, a stranger past the budget).
   */
  private claim(db: Sql, deviceUuids: string[], oneTime: boolean[]): Promise<BundleSqlRow[]> {
    return query<BundleSqlRow>(
      db,
      `with t as (
         select u.device, u.one_time, u.ord from unnest(?::uuid[], ?::boolean[]) with ordinality as u(device, one_time, ord)
          where exists (select 1 from signed_prekeys s where s.device = u.device and s.replaced_at is null)
       ),
       ot as (select t.device from t where t.one_time),
       ec as (
         delete from one_time_prekeys k
          using (select c.id from ot cross join lateral (
                   select o.id from one_time_prekeys o where o.device = ot.device order by o.id limit 1 for update skip locked) c) x
          where k.id = x.id
         returning k.device, k.key_id, k.public_key
       ),
       ky as (
         delete from kyber_prekeys k
          using (select c.id from ot cross join lateral (
                   select o.id from kyber_prekeys o where o.device = ot.device and not o.last_resort order by o.id limit 1 for update skip locked) c) x
          where k.id = x.id
         returning k.device, k.key_id, k.public_key, k.signature
       )
       select d.id as "deviceUuid", d.device_id as "deviceId", d.registration_id as "registrationId", d.identity_key as "identityKey",
              s.key_id as "spkId", s.public_key as spk, s.signature as "spkSig",
              ec.key_id as "pkId", ec.public_key as pk,
              coalesce(ky.key_id, lr.key_id) as "kyberId",
              coalesce(ky.public_key, lr.public_key) as kyber,
              coalesce(ky.signature, lr.signature) as "kyberSig",
              (ky.key_id is null and lr.key_id is not null) as "kyberLastResort",
              (ky.key_id is not null) as "kyberOneTimeTaken"
         from t
         join devices d on d.id = t.device
         join signed_prekeys s on s.device = d.id and s.replaced_at is null
         left join ec on ec.device = d.id
         left join ky on ky.device = d.id
         left join kyber_prekeys lr on lr.device = d.id and lr.last_resort and lr.replaced_at is null
        order by t.ord`,
      [deviceUuids, oneTime],
    );
  }

  /**
   * After claims: for each device whose stock is now below the threshold while armed, disarm and publish
   * `preKeysLow`. The conditional UPDATE lets exactly one of many concurrent claims win.
   */
  private async notifyLow(devices: string[]): Promise<void> {
    const T = this.config.preKeyLowThreshold;
    try {
      const fired = await query<{ device: string; oneTime: number; kyberOneTime: number }>(
        this.knex,
        `with c as (
           select u.device,
                  (select count(*) from one_time_prekeys o where o.device = u.device)::int as ec,
                  (select count(*) from kyber_prekeys k where k.device = u.device and not k.last_resort)::int as ky
             from unnest(?::uuid[]) as u(device)
         )
         update device_prekey_state s
            set one_time_armed = s.one_time_armed and c.ec >= ?,
                kyber_one_time_armed = s.kyber_one_time_armed and c.ky >= ?
           from c
          where s.device = c.device and ((s.one_time_armed and c.ec < ?) or (s.kyber_one_time_armed and c.ky < ?))
         returning s.device, c.ec as "oneTime", c.ky as "kyberOneTime"`,
        [devices, T, T, T, T],
      );
      for (const f of fired) {
        this.bus.publish('preKeysLow', f.device, { deviceUuid: f.device, oneTime: f.oneTime, kyberOneTime: f.kyberOneTime });
      }
    } catch (err) {
      // the bundles are already claimed; a missed notification is recovered by the client's own count check
      this.log?.warn({ err }, 'prekey low-stock check failed');
    }
  }

  // ---------------------------------------------------------------- rotation grace

  private async purgeDevice(db: Sql, device: string): Promise<void> {
    const grace = this.config.keyRotationGraceSeconds;
    await query(db, `delete from signed_prekeys where device = ? and replaced_at < now() - make_interval(secs => ?)`, [device, grace]);
    await query(db, `delete from kyber_prekeys where device = ? and replaced_at < now() - make_interval(secs => ?)`, [device, grace]);
  }

  /** Deletes replaced signed prekeys and last-resort keys whose grace period is over (all devices). */
  async purgeExpired(): Promise<number> {
    const grace = this.config.keyRotationGraceSeconds;
    const a = await query(this.knex, `delete from signed_prekeys where replaced_at < now() - make_interval(secs => ?) returning id`, [grace]);
    const b = await query(this.knex, `delete from kyber_prekeys where replaced_at < now() - make_interval(secs => ?) returning id`, [grace]);
    return a.length + b.length;
  }

  private async maybePurgeAll(): Promise<void> {
    const now = Date.now();
    if (now - this.lastGlobalPurge < GLOBAL_PURGE_EVERY_MS) return;
    this.lastGlobalPurge = now;
    try {
      await this.purgeExpired();
    } catch (err) {
      this.log?.warn({ err }, 'purging expired prekeys failed');
    }
  }
}
