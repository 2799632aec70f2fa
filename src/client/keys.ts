/**
 * Our own prekeys: the initial set (signed EC prekey, Kyber last-resort key, one-time EC and Kyber
 * stocks), refilling the one-time stocks when the server says they run low, and rotating the signed
 * prekey and the last-resort key on a schedule (Signal rotates both about weekly). Private halves stay
 * in the ClientStore; only public keys and signatures are uploaded. The clock is injected, so rotation
 * is testable without waiting.
 */
import { generateKyberPreKey, generatePreKeys, generateSignedPreKey, type Rng } from '../protocol/index.js';
import { toBase64 } from './base64.js';
import type { ClientStore, KeyState } from './stores/types.js';
import { Serial } from './serial.js';

/** One-time keys per kind after a refill (and in the first upload). */
export const ONE_TIME_PREKEY_BATCH = 100;
/** At start-up, refill a one-time stock that is below this (the server's own alarm is at 10). */
export const REFILL_BELOW = 25;
export const SIGNED_PREKEY_ROTATION_MS = 7 * 86_400_000;
export const LAST_RESORT_ROTATION_MS = 7 * 86_400_000;
/** A retired signed / last-resort key is kept this long for PreKey messages already in flight. */
export const RETIRED_KEY_KEEP_MS = 14 * 86_400_000;

export interface PreKeyCounts {
  oneTime: number;
  kyberOneTime: number;
  signedPreKeyId: number | null;
  lastResortKyberPreKeyId: number | null;
}

export interface UploadInput {
  oneTimePreKeys?: { keyId: number; publicKey: string }[];
  signedPreKey?: { keyId: number; publicKey: string; signature: string };
  oneTimeKyberPreKeys?: { keyId: number; publicKey: string; signature: string }[];
  lastResortKyberPreKey?: { keyId: number; publicKey: string; signature: string };
}

export interface KeyApi {
  upload(input: UploadInput): Promise<PreKeyCounts>;
  counts(): Promise<PreKeyCounts>;
}

export interface KeyPolicy {
  batch: number;
  refillBelow: number;
  signedPreKeyRotationMs: number;
  lastResortRotationMs: number;
  retiredKeepMs: number;
}

export const DEFAULT_KEY_POLICY: KeyPolicy = {
  batch: ONE_TIME_PREKEY_BATCH,
  refillBelow: REFILL_BELOW,
  signedPreKeyRotationMs: SIGNED_PREKEY_ROTATION_MS,
  lastResortRotationMs: LAST_RESORT_ROTATION_MS,
  retiredKeepMs: RETIRED_KEY_KEEP_MS,
};

const INITIAL_STATE: KeyState = {
  nextPreKeyId: 1,
  nextKyberPreKeyId: 1,
  nextSignedPreKeyId: 1,
  signedPreKeyId: null,
  signedPreKeyCreatedAt: 0,
  lastResortKyberPreKeyId: null,
  lastResortCreatedAt: 0,
  retired: [],
};

export class KeyManager {
  private readonly busy = new Serial();
  /** Number of uploads done (for tests and diagnostics). */
  uploads = 0;

  constructor(
    private readonly store: ClientStore,
    private readonly api: KeyApi,
    private readonly now: () => number,
    private readonly policy: KeyPolicy = DEFAULT_KEY_POLICY,
    private readonly rng?: Rng,
  ) {}

  /** Key work runs one job at a time, so a low-stock event and a start-up check never both upload. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.busy.run(fn);
  }

  private async state(): Promise<KeyState> {
    return (await this.store.getKeyState()) ?? { ...INITIAL_STATE, retired: [] };
  }

  /** Generates and uploads everything a new device needs. */
  initialUpload(): Promise<PreKeyCounts> {
    return this.exclusive(async () => {
      const st = await this.state();
      const input: UploadInput = {};
      await this.newSignedPreKey(st, input);
      await this.newLastResort(st, input);
      await this.newOneTime(st, input, this.policy.batch);
      await this.newKyberOneTime(st, input, this.policy.batch);
      return this.commit(st, input);
    });
  }

  /**
   * Tops the one-time stocks up to `batch` when below `below` (default: the start-up threshold; the
   * preKeysLow event passes Infinity to refill whatever the count).
   */
  refill(counts?: PreKeyCounts, below = this.policy.refillBelow): Promise<PreKeyCounts | null> {
    return this.exclusive(async () => {
      const c = counts ?? (await this.api.counts());
      const st = await this.state();
      const input: UploadInput = {};
      if (c.oneTime < below && c.oneTime < this.policy.batch) await this.newOneTime(st, input, this.policy.batch - c.oneTime);
      if (c.kyberOneTime < below && c.kyberOneTime < this.policy.batch) await this.newKyberOneTime(st, input, this.policy.batch - c.kyberOneTime);
      if (c.signedPreKeyId === null) await this.newSignedPreKey(st, input);
      if (c.lastResortKyberPreKeyId === null) await this.newLastResort(st, input);
      if (!Object.keys(input).length) return null;
      return this.commit(st, input);
    });
  }

  /** Replaces the signed prekey and/or the last-resort key when older than the policy allows; purges retired keys. */
  rotateIfDue(): Promise<{ signed: boolean; lastResort: boolean }> {
    return this.exclusive(async () => {
      const st = await this.state();
      const now = this.now();
      const input: UploadInput = {};
      const signed = st.signedPreKeyId === null || now - st.signedPreKeyCreatedAt >= this.policy.signedPreKeyRotationMs;
      const lastResort = st.lastResortKyberPreKeyId === null || now - st.lastResortCreatedAt >= this.policy.lastResortRotationMs;
      if (signed) await this.newSignedPreKey(st, input);
      if (lastResort) await this.newLastResort(st, input);
      if (signed || lastResort) await this.commit(st, input);
      await this.purgeRetired();
      return { signed, lastResort };
    });
  }

  /** ms until the next rotation is due. */
  async msUntilRotation(): Promise<number> {
    const st = await this.state();
    const now = this.now();
    return Math.max(0, Math.min(st.signedPreKeyCreatedAt + this.policy.signedPreKeyRotationMs, st.lastResortCreatedAt + this.policy.lastResortRotationMs) - now);
  }

  private async purgeRetired() {
    const st = await this.state();
    const now = this.now();
    const keep = st.retired.filter((r) => now - r.retiredAt < this.policy.retiredKeepMs);
    if (keep.length === st.retired.length) return;
    for (const r of st.retired) {
      if (keep.includes(r)) continue;
      if (r.kind === 'signed') await this.store.removeSignedPreKey(r.id);
      else await this.store.removeKyberPreKey(r.id);
    }
    await this.store.setKeyState({ ...st, retired: keep });
  }

  /** Uploads first, then records the new state: a failed upload leaves the ids unused, never reused. */
  private async commit(st: KeyState, input: UploadInput): Promise<PreKeyCounts> {
    await this.store.setKeyState(st);
    const counts = await this.api.upload(input);
    this.uploads++;
    return counts;
  }

  private async newSignedPreKey(st: KeyState, input: UploadInput) {
    const identity = await this.store.getIdentityKeyPair();
    const id = st.nextSignedPreKeyId++;
    const rec = await generateSignedPreKey(identity, id, this.now(), this.rng);
    await this.store.storeSignedPreKey(id, rec);
    if (st.signedPreKeyId !== null) st.retired.push({ kind: 'signed', id: st.signedPreKeyId, retiredAt: this.now() });
    st.signedPreKeyId = id;
    st.signedPreKeyCreatedAt = this.now();
    input.signedPreKey = { keyId: id, publicKey: toBase64(rec.publicKey.serialize()), signature: toBase64(rec.signature) };
  }

  private async newLastResort(st: KeyState, input: UploadInput) {
    const identity = await this.store.getIdentityKeyPair();
    const id = st.nextKyberPreKeyId++;
    const rec = await generateKyberPreKey(identity, id, this.now(), this.rng);
    await this.store.storeKyberPreKey(id, rec, true);
    if (st.lastResortKyberPreKeyId !== null) st.retired.push({ kind: 'kyber', id: st.lastResortKyberPreKeyId, retiredAt: this.now() });
    st.lastResortKyberPreKeyId = id;
    st.lastResortCreatedAt = this.now();
    input.lastResortKyberPreKey = { keyId: id, publicKey: toBase64(rec.publicKey.serialize()), signature: toBase64(rec.signature) };
  }

  private async newOneTime(st: KeyState, input: UploadInput, count: number) {
    const recs = generatePreKeys(st.nextPreKeyId, count, this.rng);
    st.nextPreKeyId += count;
    for (const r of recs) await this.store.storePreKey(r.id, r);
    input.oneTimePreKeys = recs.map((r) => ({ keyId: r.id, publicKey: toBase64(r.publicKey.serialize()) }));
  }

  private async newKyberOneTime(st: KeyState, input: UploadInput, count: number) {
    const identity = await this.store.getIdentityKeyPair();
    const out: NonNullable<UploadInput['oneTimeKyberPreKeys']> = [];
    for (let i = 0; i < count; i++) {
      const id = st.nextKyberPreKeyId++;
      const rec = await generateKyberPreKey(identity, id, this.now(), this.rng);
      await this.store.storeKyberPreKey(id, rec, false);
      out.push({ keyId: id, publicKey: toBase64(rec.publicKey.serialize()), signature: toBase64(rec.signature) });
    }
    input.oneTimeKyberPreKeys = out;
  }
}
