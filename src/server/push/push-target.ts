/**
 * What a push target is, and the checks a registration passes before it is stored. Everything here is
 * client input: each field is checked for its kind (RFC 8030 endpoint URL, RFC 8291 key sizes, FCM and APNs
 * token alphabets) and a field that the kind does not use is refused rather than ignored.
 *
 * Endpoints are URLs the server will POST to, so they are also an SSRF surface: https only, no credentials,
 * and no literal private, loopback or link-local address (names that resolve to one are refused when the
 * request is made, see http-post.ts). `allowLoopbackEndpoints` (tests) admits http://127.0.0.1 and friends.
 */
import { createECDH } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { InvalidInputError, InvalidKeyError } from '../kernel/errors.js';
import { APNS_ENVIRONMENTS, type ApnsEnvironment, PUSH_KINDS, type PushKind } from './push-target.entity.js';

/** Longest endpoint URL accepted (push services issue a few hundred characters). */
export const MAX_ENDPOINT_LENGTH = 2048;
/** RFC 8291 §3.1: the user agent's ECDH key is an uncompressed P-256 point. */
export const P256DH_LENGTH = 65;
/** RFC 8291 §3.2: the authentication secret is 16 octets. */
export const AUTH_SECRET_LENGTH = 16;
/** FCM registration tokens: Google documents no fixed length (today ~150-200 characters); this bounds storage. */
const FCM_TOKEN = /^[A-Za-z0-9_:.-]{32,4096}$/;
/** APNs device tokens are hex; Apple warns their length may change (32 bytes today), so only bounds are checked. */
const APNS_TOKEN = /^(?:[0-9a-fA-F]{2}){16,100}$/;
/** An APNs topic is the app's bundle id (reverse DNS), possibly with a suffix such as `.voip`. */
const APNS_TOPIC = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
const MAX_TOPIC_LENGTH = 255;

interface PushTargetBase {
  id: string;
  deviceUuid: string;
  /** Opt-in: pushes carry the envelope id that triggered them. */
  includeEnvelopeId: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** RFC 8291 keys of a Web Push subscription (raw bytes). */
export interface WebPushKeys {
  p256dh: Uint8Array;
  auth: Uint8Array;
}

export interface WebPushTarget extends PushTargetBase {
  kind: 'WEB_PUSH' | 'UNIFIED_PUSH';
  endpoint: string;
  /** Always set for WEB_PUSH; optional for UNIFIED_PUSH (without them the payload travels unencrypted). */
  keys: WebPushKeys | null;
}

export interface FcmTarget extends PushTargetBase {
  kind: 'FCM';
  token: string;
}

export interface ApnsTarget extends PushTargetBase {
  kind: 'APNS';
  token: string;
  topic: string;
  environment: ApnsEnvironment;
}

export type PushTargetRecord = WebPushTarget | FcmTarget | ApnsTarget;

/** What a device sends to register (one flat shape for every kind, as a GraphQL input gives it). */
export interface PushTargetInput {
  kind: string;
  endpoint?: string | null;
  /** base64url (RFC 4648 §5), as `PushSubscription.toJSON().keys` gives it */
  p256dh?: string | null;
  auth?: string | null;
  token?: string | null;
  topic?: string | null;
  /** `sandbox` or `production` (case-insensitive) */
  environment?: string | null;
  includeEnvelopeId?: boolean | null;
}

/** The validated, normalised columns of a target. */
export interface PushTargetColumns {
  kind: PushKind;
  endpoint: string | null;
  p256dh: Uint8Array | null;
  auth: Uint8Array | null;
  token: string | null;
  topic: string | null;
  environment: ApnsEnvironment | null;
  includeEnvelopeId: boolean;
}

export interface ValidationOptions {
  /** Admit http:// endpoints on a loopback address (tests with a local push service). */
  allowLoopbackEndpoints?: boolean;
}

const FIELDS_BY_KIND: Record<PushKind, readonly (keyof PushTargetInput)[]> = {
  WEB_PUSH: ['endpoint', 'p256dh', 'auth'],
  UNIFIED_PUSH: ['endpoint', 'p256dh', 'auth'],
  FCM: ['token'],
  APNS: ['token', 'topic', 'environment'],
};
const KIND_FIELDS = ['endpoint', 'p256dh', 'auth', 'token', 'topic', 'environment'] as const;

/** Addresses a push endpoint may not name: private, loopback, link-local, CGNAT, multicast, reserved. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** True for an IP address (v4 or v6, without brackets) that is not a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  const family = isIP(h);
  return family === 4 ? h.startsWith('127.') : family === 6 ? h === '::1' : false;
}

function checkEndpoint(raw: unknown, opts: ValidationOptions): string {
  if (typeof raw !== 'string' || raw === '') throw new InvalidInputError('endpoint', 'required');
  if (raw.length > MAX_ENDPOINT_LENGTH) throw new InvalidInputError('endpoint', `at most ${MAX_ENDPOINT_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('endpoint', 'not a URL');
  }
  const loopbackAllowed = opts.allowLoopbackEndpoints === true && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopbackAllowed)) {
    throw new InvalidInputError('endpoint', 'expected an https URL (RFC 8030 push resources are https)');
  }
  if (url.username || url.password) throw new InvalidInputError('endpoint', 'must not carry credentials');
  if (url.hash) throw new InvalidInputError('endpoint', 'must not carry a fragment');
  if (!loopbackAllowed) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host.endsWith('.localhost') || isNonPublicAddress(host)) {
      throw new InvalidInputError('endpoint', 'must name a public host');
    }
  }
  return url.href;
}

function base64urlKey(field: 'p256dh' | 'auth', raw: unknown, length: number): Uint8Array {
  if (typeof raw !== 'string' || raw === '') throw new InvalidKeyError(field, 'required');
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(raw)) throw new InvalidKeyError(field, 'expected base64url');
  const bytes = new Uint8Array(Buffer.from(raw, 'base64url'));
  if (bytes.length !== length) throw new InvalidKeyError(field, `expected ${length} bytes, got length=${bytes.length}`);
  return bytes;
}

function checkP256dh(raw: unknown): Uint8Array {
  const key = base64urlKey('p256dh', raw, P256DH_LENGTH);
  if (key[0] !== 0x04) throw new InvalidKeyError('p256dh', 'expected an uncompressed P-256 point (0x04 || x || y)');
  try {
    // an off-curve point is refused here, not at the first push
    const probe = createECDH('prime256v1');
    probe.generateKeys();
    probe.computeSecret(key);
  } catch {
    throw new InvalidKeyError('p256dh', 'not a point on P-256');
  }
  return key;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** Checks a registration and returns its normalised columns; throws InvalidInputError / InvalidKeyError. */
export function validatePushTarget(input: PushTargetInput, opts: ValidationOptions = {}): PushTargetColumns {
  if (typeof input?.kind !== 'string' || !(PUSH_KINDS as readonly string[]).includes(input.kind)) {
    throw new InvalidInputError('kind', `expected one of ${PUSH_KINDS.join(', ')}`);
  }
  const kind = input.kind as PushKind;
  for (const f of KIND_FIELDS) {
    if (present(input[f]) && !FIELDS_BY_KIND[kind].includes(f)) throw new InvalidInputError(f, `not used by ${kind} targets`);
  }
  if (present(input.includeEnvelopeId) && typeof input.includeEnvelopeId !== 'boolean') {
    throw new InvalidInputError('includeEnvelopeId', 'expected a boolean');
  }
  const cols: PushTargetColumns = {
    kind,
    endpoint: null,
    p256dh: null,
    auth: null,
    token: null,
    topic: null,
    environment: null,
    includeEnvelopeId: input.includeEnvelopeId === true,
  };
  switch (kind) {
    case 'WEB_PUSH':
    case 'UNIFIED_PUSH':
      cols.endpoint = checkEndpoint(input.endpoint, opts);
      if (kind === 'WEB_PUSH' || present(input.p256dh) || present(input.auth)) {
        // RFC 8291 needs both: a key without its secret (or the reverse) cannot encrypt
        cols.p256dh = checkP256dh(input.p256dh);
        cols.auth = base64urlKey('auth', input.auth, AUTH_SECRET_LENGTH);
      }
      break;
    case 'FCM':
      if (typeof input.token !== 'string' || !FCM_TOKEN.test(input.token)) {
        throw new InvalidInputError('token', 'expected an FCM registration token (32-4096 characters of A-Z a-z 0-9 _ : . -)');
      }
      cols.token = input.token;
      break;
    case 'APNS': {
      if (typeof input.token !== 'string' || !APNS_TOKEN.test(input.token)) {
        throw new InvalidInputError('token', 'expected an APNs device token in hex (32 to 200 digits, even)');
      }
      if (typeof input.topic !== 'string' || input.topic.length > MAX_TOPIC_LENGTH || !APNS_TOPIC.test(input.topic)) {
        throw new InvalidInputError('topic', 'expected the app bundle id, e.g. org.example.app');
      }
      const env = typeof input.environment === 'string' ? input.environment.toLowerCase() : '';
      if (!(APNS_ENVIRONMENTS as readonly string[]).includes(env)) {
        throw new InvalidInputError('environment', `expected one of ${APNS_ENVIRONMENTS.join(', ')}`);
      }
      cols.token = input.token.toLowerCase();
      cols.topic = input.topic;
      cols.environment = env as ApnsEnvironment;
      break;
    }
  }
  return cols;
}

/** The part of a target that identifies it at its push service (what a `gone` answer is about). */
export function targetAddress(t: PushTargetRecord): string {
  return 'endpoint' in t ? t.endpoint : t.token;
}
