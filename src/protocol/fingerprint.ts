// Safety numbers: libsignal's numeric fingerprints (fingerprint.rs; vectors in test/vectors/
// libsignal-fingerprint.json), and this project's definition for a user with several devices.
//
// Per side: hash = 0x0000 || identity key || stable identifier; then `iterations` times
// hash = SHA-512(hash || identity key). The displayable half is 30 digits: six 5-byte big-endian chunks
// of the hash, each mod 100000, zero-padded; the 60-digit string is the two halves in ascending order,
// so both parties see the same number. The scannable form (QR code) is the protobuf
// CombinedFingerprints { 1 version, 2 local { 1 content }, 3 remote { 1 content } } with the first 32
// bytes of each hash; two parties' scans match when each one's local is the other's remote.
//
// A user's devices (docs/protocol-api.md "Safety numbers"): the identity key above is replaced by the
// canonical concatenation of the user's distinct device identity keys (33 bytes each, sorted by their
// bytes), as libsignal-protocol-java's NumericFingerprintGenerator did for a list of keys (sorted and
// concatenated). One device gives libsignal's number.
import { sha512 } from '@noble/hashes/sha2.js';
import { assertBytes, assertInstance, assertUint32, concatBytes, equalBytes } from './bytes.js';
import { PublicKey } from './curve.js';
import { ProtocolError } from './errors.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';

/** The scannable version Signal's apps use today (service-id identifiers); 1 was the phone-number era. */
export const FINGERPRINT_VERSION = 2;
/** Iterations Signal's apps use: costly enough to slow a search for a colliding key, cheap on a phone. */
export const FINGERPRINT_ITERATIONS = 5200;
/** libsignal-client refuses fewer than 2 or more than 1,000,000 iterations (measured); so do we. */
export const MIN_FINGERPRINT_ITERATIONS = 2;
export const MAX_FINGERPRINT_ITERATIONS = 1_000_000;
/** Device keys one user's safety number may cover: bounds the hashing work (iterations x keys x 33 bytes). */
export const MAX_FINGERPRINT_KEYS = 128;

/** Bytes of each hash carried by the scannable form. */
const SCANNABLE_CONTENT_LENGTH = 32;
/** The hash's own format version, distinct from the scannable version: always 0. */
const HASH_FORMAT_VERSION = Uint8Array.of(0, 0);
const DIGITS_PER_CHUNK = 5;
const CHUNKS_PER_SIDE = 6;

function iterateHash(iterations: number, keyBytes: Uint8Array, identifier: Uint8Array): Uint8Array {
  let hash = concatBytes(HASH_FORMAT_VERSION, keyBytes, identifier);
  for (let i = 0; i < iterations; i++) hash = sha512.create().update(hash).update(keyBytes).digest();
  return hash;
}

function displayHalf(hash: Uint8Array): string {
  let s = '';
  for (let c = 0; c < CHUNKS_PER_SIDE; c++) {
    const o = c * 5;
    // 40-bit big-endian chunk; exact in a double
    const chunk = hash[o] * 2 ** 32 + ((hash[o + 1] << 24) >>> 0) + (hash[o + 2] << 16) + (hash[o + 3] << 8) + hash[o + 4];
    s += String(chunk % 100000).padStart(DIGITS_PER_CHUNK, '0');
  }
  return s;
}

export class DisplayableFingerprint {
  /** 60 digits: the two 30-digit halves, smaller first */
  private readonly display: string;

  constructor(localHash: Uint8Array, remoteHash: Uint8Array) {
    const local = displayHalf(localHash);
    const remote = displayHalf(remoteHash);
    this.display = local <= remote ? local + remote : remote + local;
  }

  toString(): string {
    return this.display;
  }
}

export class ScannableFingerprint {
  private constructor(
    readonly version: number,
    private readonly local: Uint8Array,
    private readonly remote: Uint8Array,
  ) {}

  static fromHashes(version: number, localHash: Uint8Array, remoteHash: Uint8Array): ScannableFingerprint {
    return new ScannableFingerprint(version, localHash.slice(0, SCANNABLE_CONTENT_LENGTH), remoteHash.slice(0, SCANNABLE_CONTENT_LENGTH));
  }

  serialize(): Uint8Array {
    return new ProtoWriter()
      .uint(1, this.version)
      .bytes(2, new ProtoWriter().bytes(1, this.local).finish())
      .bytes(3, new ProtoWriter().bytes(1, this.remote).finish())
      .finish();
  }

  /**
   * True when `theirs` (the other party's scannable fingerprint, e.g. read from their QR code) shows the
   * same two keys seen from their side. A different version is FingerprintVersionMismatch and bytes that
   * do not parse are FingerprintParsingError, as in libsignal: neither is a plain "no match".
   */
  compare(theirs: ScannableFingerprint | Uint8Array): boolean {
    const bytes = theirs instanceof ScannableFingerprint ? theirs.serialize() : assertBytes(theirs, 'theirs');
    let m: ProtoMessage;
    let local: Uint8Array | undefined;
    let remote: Uint8Array | undefined;
    let version: number;
    try {
      m = ProtoMessage.parse(bytes, 'FingerprintParsingError', 'scannable fingerprint');
      version = m.optUint32(1) ?? 0;
      const l = m.optBytes(2);
      const r = m.optBytes(3);
      local = l && ProtoMessage.parse(l, 'FingerprintParsingError', 'scannable fingerprint').optBytes(1);
      remote = r && ProtoMessage.parse(r, 'FingerprintParsingError', 'scannable fingerprint').optBytes(1);
    } catch (e) {
      if (e instanceof ProtocolError) throw new ProtocolError('FingerprintParsingError', `fingerprint parsing error: ${e.message}`, { cause: e });
      throw e;
    }
    if (version !== this.version) throw new ProtocolError('FingerprintVersionMismatch', `fingerprint version mismatch: theirs ${version}, ours ${this.version}`);
    if (!local) throw new ProtocolError('FingerprintParsingError', 'fingerprint parsing error: missing their local fingerprint');
    if (!remote) throw new ProtocolError('FingerprintParsingError', 'fingerprint parsing error: missing their remote fingerprint');
    // both comparisons always run (constant time in the content)
    const a = equalBytes(local, this.remote);
    const b = equalBytes(remote, this.local);
    return a && b;
  }
}

export class Fingerprint {
  private constructor(
    private readonly displayable: DisplayableFingerprint,
    private readonly scannable: ScannableFingerprint,
  ) {}

  /** libsignal-client's Fingerprint.new: same arguments, same digits and bytes. */
  static new(iterations: number, version: number, localIdentifier: Uint8Array, localKey: PublicKey, remoteIdentifier: Uint8Array, remoteKey: PublicKey): Fingerprint {
    assertInstance(localKey, PublicKey, 'localKey');
    assertInstance(remoteKey, PublicKey, 'remoteKey');
    return Fingerprint.fromKeyBytes(iterations, version, localIdentifier, localKey.serializedView(), remoteIdentifier, remoteKey.serializedView());
  }

  private static fromKeyBytes(
    iterations: number,
    version: number,
    localIdentifier: Uint8Array,
    localKeys: Uint8Array,
    remoteIdentifier: Uint8Array,
    remoteKeys: Uint8Array,
  ): Fingerprint {
    assertUint32(iterations, 'iterations', MIN_FINGERPRINT_ITERATIONS, MAX_FINGERPRINT_ITERATIONS);
    assertUint32(version, 'version');
    assertBytes(localIdentifier, 'localIdentifier');
    assertBytes(remoteIdentifier, 'remoteIdentifier');
    const local = iterateHash(iterations, localKeys, localIdentifier);
    const remote = iterateHash(iterations, remoteKeys, remoteIdentifier);
    return new Fingerprint(new DisplayableFingerprint(local, remote), ScannableFingerprint.fromHashes(version, local, remote));
  }

  /**
   * The safety number between two users, each with one or more devices (one identity key per device): the
   * fingerprint over each side's canonical key list (distinct keys, sorted by their 33 serialized bytes,
   * concatenated). Order and repetition of the keys given do not matter; adding, removing or changing any
   * device key changes the number. With one device per side it equals Fingerprint.new.
   */
  static forUsers(
    local: { identifier: Uint8Array; identityKeys: readonly PublicKey[] },
    remote: { identifier: Uint8Array; identityKeys: readonly PublicKey[] },
    opts?: { version?: number; iterations?: number },
  ): Fingerprint {
    if (typeof local !== 'object' || local === null) throw new ProtocolError('InvalidArgument', '"local" expected { identifier, identityKeys }');
    if (typeof remote !== 'object' || remote === null) throw new ProtocolError('InvalidArgument', '"remote" expected { identifier, identityKeys }');
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) throw new ProtocolError('InvalidArgument', '"opts" expected an object');
    return Fingerprint.fromKeyBytes(
      opts?.iterations ?? FINGERPRINT_ITERATIONS,
      opts?.version ?? FINGERPRINT_VERSION,
      local.identifier,
      canonicalKeyList(local.identityKeys, 'local.identityKeys'),
      remote.identifier,
      canonicalKeyList(remote.identityKeys, 'remote.identityKeys'),
    );
  }

  displayableFingerprint(): DisplayableFingerprint {
    return this.displayable;
  }

  scannableFingerprint(): ScannableFingerprint {
    return this.scannable;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Distinct keys, sorted by their serialized bytes, concatenated: the key list a user's number covers. */
export function canonicalKeyList(keys: readonly PublicKey[], name: string): Uint8Array {
  if (!Array.isArray(keys) || keys.length === 0) throw new ProtocolError('InvalidArgument', `"${name}" expected a non-empty array of PublicKey`);
  const serialized: Uint8Array[] = [];
  keys.forEach((k, i) => {
    assertInstance(k, PublicKey, `${name}[${i}]`);
    const s = k.serializedView();
    if (!serialized.some((x) => equalBytes(x, s))) serialized.push(s);
  });
  if (serialized.length > MAX_FINGERPRINT_KEYS)
    throw new ProtocolError('InvalidArgument', `"${name}" has ${serialized.length} distinct keys, more than ${MAX_FINGERPRINT_KEYS}`);
  serialized.sort(compareBytes);
  return concatBytes(...serialized);
}

