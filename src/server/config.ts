/**
 * Server configuration, read from environment variables. Every variable is listed in the README with its
 * default; a bad value stops start-up with a message that names the variable.
 */
import { createECDH, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_DIR } from './kernel/paths.js';

export interface ExternalAuthConfig {
  /** HS256 shared secret of an external identity provider. */
  hs256Secret?: string;
  /** JWKS URL of an external identity provider (RS256/ES256/EdDSA). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

/** VAPID (RFC 8292) application server keys, base64url: public = uncompressed P-256 point, private = 32-byte scalar. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** The fields of a Google service-account JSON key that the FCM HTTP v1 OAuth2 flow uses. */
export interface FcmServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKeyId?: string;
  /** The account's RSA key (signs the RS256 grant). */
  privateKey: KeyObject;
  /** Where the JWT bearer grant goes (RFC 7523), from the JSON's `token_uri`. */
  tokenUri: string;
}

export interface PushConfig {
  /** PUSH_DEBOUNCE_MS (default 3000): at most one message push per device in this window (calls bypass it). */
  debounceMs: number;
  /**
   * PUSH_REWAKE_MS (default 600000 = 10 min): a device that has not woken since its last delivered message push
   * gets no other message push before this (that push makes it fetch everything); 0 = a push every window.
   */
  rewakeMs: number;
  /** VAPID_PUBLIC_KEY + VAPID_PRIVATE_KEY; unset: Web Push is off unless keys are generated (embedded setup). */
  vapid?: VapidKeys;
  /** VAPID_SUBJECT: the `sub` claim, a mailto: or https: contact of the operator. */
  vapidSubject?: string;
  /** FCM_SERVICE_ACCOUNT_FILE or FCM_SERVICE_ACCOUNT_JSON; unset: FCM is off. */
  fcm?: { serviceAccount: FcmServiceAccount; apiUrl: string };
  /** APNS_KEY_FILE + APNS_KEY_ID + APNS_TEAM_ID; unset: APNs is off. `host` (APNS_HOST) overrides the per-environment host. */
  apns?: { key: KeyObject; keyId: string; teamId: string; host?: string };
  /** Tests only (no variable): Web Push endpoints may be http:// loopback URLs (real endpoints are https). */
  allowLoopbackEndpoints: boolean;
}

export interface Config {
  port: number;
  host: string;
  /** PostgreSQL URL; undefined means the embedded PGlite database under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** Pool size toward PostgreSQL. */
  dbPoolSize: number;
  redisUrl?: string;
  /** HMAC key for our own access tokens (>= 32 bytes). Generated per process if unset. */
  jwtSecret: Uint8Array;
  jwtSecretGenerated: boolean;
  accessTokenTtlSeconds: number;
  maxDevices: number;
  linkCodeTtlSeconds: number;
  logLevel: string;
  tlsCert?: string;
  tlsKey?: string;
  maxBodyBytes: number;
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  externalAuth?: ExternalAuthConfig;
  /** graphql-ws keep-alive ping interval. */
  keepAliveMs: number;
  /** How long `setTyping(true)` lasts unless repeated. */
  typingTtlMs: number;
  /** MAX_ENVELOPE_BYTES (default 98304 = 96 KiB, as Signal): ciphertext bytes per envelope. */
  maxEnvelopeBytes: number;
  /** MAX_ENVELOPES_PER_SEND (default 1000): envelopes (recipient devices) in one sendMessage. */
  maxEnvelopesPerSend: number;
  /** Sends per device: a bucket of SEND_RATE_BURST (default 60) refilled at SEND_RATE_PER_SECOND (default 1). */
  sendRateBurst: number;
  sendRatePerSecond: number;
  /** ENVELOPE_RETENTION_DAYS (default 30): undelivered envelopes older than this are purged. */
  envelopeRetentionDays: number;
  /** MESSAGE_SWEEP_INTERVAL_MS (default 60000): how often expired messages and old envelopes are purged (0 = never). */
  messageSweepIntervalMs: number;
  /** CALL_RING_TIMEOUT_SECONDS (default 45): a call nobody answers within this is MISSED. */
  callRingTimeoutSeconds: number;
  /** CALL_SWEEP_INTERVAL_MS (default 5000): how often overdue ringing calls are marked missed (0 = never). */
  callSweepIntervalMs: number;
  /** BLOB_DIR (default DATA_DIR/blobs): where the local blob store keeps encrypted attachments. */
  blobDir: string;
  /** MAX_ATTACHMENT_BYTES (default 104857600 = 100 MiB): largest attachment upload (ciphertext bytes); larger is 413. */
  maxAttachmentBytes: number;
  /** ATTACHMENT_UNBOUND_TTL_SECONDS (default 86400): uploads never attached to a message are deleted after this. */
  attachmentUnboundTtlSeconds: number;
  /** ATTACHMENT_SWEEP_INTERVAL_MS (default 60000): how often blobs of deleted, expired or never-sent messages are deleted (0 = never). */
  attachmentSweepIntervalMs: number;
  /**
   * KEY_ROTATION_GRACE_SECONDS (default 604800 = 7 days): a replaced signed prekey or Kyber last-resort key
   * stays stored this long (never handed out again) so session set-ups already in flight still complete;
   * then it is purged.
   */
  keyRotationGraceSeconds: number;
  /** PREKEY_LOW_THRESHOLD (default 10): `preKeysLow` fires once when a one-time stock falls below this. */
  preKeyLowThreshold: number;
  /**
   * Bundle fetches per (requesting device, target device): a token bucket of PREKEY_FETCH_BURST
   * (default 6) refilled by one token every PREKEY_FETCH_REFILL_SECONDS (default 600), as Signal.
   */
  preKeyFetchBurst: number;
  preKeyFetchRefillSeconds: number;
  /**
   * One-time prekeys of one device handed to requesters who are not its user's contacts, all of them
   * together: a bucket of PREKEY_STRANGER_BURST (default 20) refilled by one every
   * PREKEY_STRANGER_REFILL_SECONDS (default 180). Past it they get bundles without one-time keys (docs/trust.md).
   */
  preKeyStrangerBurst: number;
  preKeyStrangerRefillSeconds: number;
  /**
   * GRAPHIQL (default true; false when NODE_ENV=production): a browser's GET of /graphql gets the GraphiQL
   * explorer, served from this server's own assets (src/server/http/explorer.ts).
   */
  graphiql: boolean;
  /**
   * WEB_APP_DIR: the built web client served at `/` (src/server/http/web-app.ts); unset means the repo's own
   * build (src/web/dist, made by `npm run build:web`, which `npm start` runs first); `off` serves none.
   */
  webAppDir: string | null;
  /** Push providers and the notifier (src/server/push); each provider is off unless configured. */
  push: PushConfig;
  /** CORS_ORIGINS (default none: same origin only): origins allowed to call the API from a browser. */
  corsOrigins: string[];
  /** METRICS_TOKEN (default unset): `GET /metrics` needs `Authorization: Bearer <token>`; unset and no METRICS_PORT, /metrics is off. */
  metricsToken?: string;
  /** METRICS_PORT (default unset): serve /metrics (no token) on its own listener, on METRICS_HOST (default 127.0.0.1). */
  metricsPort?: number;
  metricsHost: string;
  /** MAX_SUBSCRIPTIONS_PER_SOCKET (default 100): operations one graphql-ws socket may run at once. */
  maxSubscriptionsPerSocket: number;
  /** TRUST_PROXY_HOPS (default 0): how many reverse proxies in front add X-Forwarded-For (the client address for rate limits). */
  trustProxyHops: number;
  /**
   * Anonymous credential operations (register, linkDevice, createAccessToken): per client address a bucket of
   * AUTH_RATE_BURST (default 20) refilled at AUTH_RATE_PER_MINUTE (default 10); registrations per address also
   * REGISTER_RATE_BURST (default 5) refilled at REGISTER_RATE_PER_HOUR (default 10); token exchanges per device
   * TOKEN_RATE_BURST (default 10) refilled at TOKEN_RATE_PER_MINUTE (default 6).
   */
  authRateBurst: number;
  authRatePerMinute: number;
  registerRateBurst: number;
  registerRatePerHour: number;
  tokenRateBurst: number;
  tokenRatePerMinute: number;
  /** HASH_CONCURRENCY (default 2) scrypt computations at once, HASH_QUEUE (default 64) waiting; beyond that SERVER_BUSY. */
  hashConcurrency: number;
  hashQueue: number;
  /** ANON_CONCURRENCY_PER_ADDRESS (default 4): requests without a token one address may have in progress at once (429 beyond). */
  anonConcurrencyPerAddress: number;
  /** OPERATOR_USER_IDS (default none): users whose devices may read spam reports (docs/trust.md). */
  operatorUserIds: string[];
}

/** Where `npm run build:web` writes the web client (src/web/vite.config.ts). */
export const DEFAULT_WEB_APP_DIR = fileURLToPath(new URL('../web/dist/', SERVER_DIR));

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const v = Number(raw);
  if (v < min || v > max) throw new ConfigError(name, `expected ${min}..${max}, got ${v}`);
  return v;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`);
  }
  return raw;
}

const TRUE_WORDS = ['true', '1', 'on', 'yes'];
const FALSE_WORDS = ['false', '0', 'off', 'no'];

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(v)) return true;
  if (FALSE_WORDS.includes(v)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];

/** An https URL, or http to a loopback host (a local test peer or proxy). Returns it without a trailing slash. */
function serviceUrl(name: string, raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  const loopbackHttp = parsed.protocol === 'http:' && LOOPBACK_HOSTS.includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !loopbackHttp) {
    throw new ConfigError(name, `expected an https URL (http only to a loopback host), got "${raw}"`);
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError(name, 'must not carry credentials, a query or a fragment');
  }
  return raw.replace(/\/+$/, '');
}

function readConfigFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(name, `cannot read "${path}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function base64urlBytes(name: string, raw: string, length: number): Buffer {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(raw)) throw new ConfigError(name, 'expected base64url');
  const bytes = Buffer.from(raw, 'base64url');
  if (bytes.length !== length) throw new ConfigError(name, `expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function loadVapid(env: Env): { vapid?: VapidKeys; vapidSubject?: string } {
  const publicKey = env.VAPID_PUBLIC_KEY || undefined;
  const privateKey = env.VAPID_PRIVATE_KEY || undefined;
  const subject = env.VAPID_SUBJECT || undefined;
  if (subject !== undefined && !/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(subject)) {
    throw new ConfigError('VAPID_SUBJECT', `expected a mailto: address or an https: URL (RFC 8292), got "${subject}"`);
  }
  if (!publicKey && !privateKey) return { vapidSubject: subject };
  if (!publicKey || !privateKey) {
    throw new ConfigError(publicKey ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY', 'VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together');
  }
  if (!subject) throw new ConfigError('VAPID_SUBJECT', 'required with VAPID keys: a mailto: or https: contact for push services');
  const pub = base64urlBytes('VAPID_PUBLIC_KEY', publicKey, 65);
  const priv = base64urlBytes('VAPID_PRIVATE_KEY', privateKey, 32);
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(priv);
  } catch {
    throw new ConfigError('VAPID_PRIVATE_KEY', 'is not a valid P-256 private key');
  }
  if (!ecdh.getPublicKey().equals(pub)) throw new ConfigError('VAPID_PUBLIC_KEY', 'does not belong to VAPID_PRIVATE_KEY');
  return { vapid: { publicKey, privateKey }, vapidSubject: subject };
}

function loadFcm(env: Env): PushConfig['fcm'] {
  const file = env.FCM_SERVICE_ACCOUNT_FILE || undefined;
  const inline = env.FCM_SERVICE_ACCOUNT_JSON || undefined;
  const apiUrl = serviceUrl('FCM_API_URL', env.FCM_API_URL || 'https://fcm.googleapis.com');
  if (file && inline) throw new ConfigError('FCM_SERVICE_ACCOUNT_JSON', 'set FCM_SERVICE_ACCOUNT_FILE or FCM_SERVICE_ACCOUNT_JSON, not both');
  if (!file && !inline) return undefined;
  const name = file ? 'FCM_SERVICE_ACCOUNT_FILE' : 'FCM_SERVICE_ACCOUNT_JSON';
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(file ? readConfigFile(name, file) : inline!);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(name, 'is not valid JSON');
  }
  const field = (key: string): string => {
    const v = json?.[key];
    if (typeof v !== 'string' || v === '') throw new ConfigError(name, `service account JSON lacks "${key}"`);
    return v;
  };
  if (json?.type !== 'service_account') throw new ConfigError(name, 'expected a service account key ("type": "service_account")');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(field('private_key'));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(name, '"private_key" is not a private key in PEM');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new ConfigError(name, '"private_key" is not an RSA key');
  const projectId = field('project_id');
  if (!/^[a-z][a-z0-9-]{4,61}[a-z0-9]$/.test(projectId)) throw new ConfigError(name, `"project_id" is not a Google Cloud project id: "${projectId}"`);
  return {
    serviceAccount: {
      projectId,
      clientEmail: field('client_email'),
      privateKeyId: typeof json.private_key_id === 'string' ? json.private_key_id : undefined,
      privateKey,
      tokenUri: serviceUrl(`${name} token_uri`, field('token_uri')),
    },
    apiUrl,
  };
}

/** Apple's key ids and team ids are 10 characters, upper-case letters and digits. */
const APPLE_ID = /^[A-Z0-9]{10}$/;

function loadApns(env: Env): PushConfig['apns'] {
  const file = env.APNS_KEY_FILE || undefined;
  const keyId = env.APNS_KEY_ID || undefined;
  const teamId = env.APNS_TEAM_ID || undefined;
  const host = env.APNS_HOST ? serviceUrl('APNS_HOST', env.APNS_HOST) : undefined;
  if (!file && !keyId && !teamId) return undefined;
  if (!file) throw new ConfigError('APNS_KEY_FILE', 'required with APNS_KEY_ID and APNS_TEAM_ID');
  if (!keyId) throw new ConfigError('APNS_KEY_ID', 'required with APNS_KEY_FILE');
  if (!teamId) throw new ConfigError('APNS_TEAM_ID', 'required with APNS_KEY_FILE');
  if (!APPLE_ID.test(keyId)) throw new ConfigError('APNS_KEY_ID', `expected the 10-character key id, got "${keyId}"`);
  if (!APPLE_ID.test(teamId)) throw new ConfigError('APNS_TEAM_ID', `expected the 10-character team id, got "${teamId}"`);
  let key: KeyObject;
  try {
    key = createPrivateKey(readConfigFile('APNS_KEY_FILE', file));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('APNS_KEY_FILE', 'is not a PEM private key (the .p8 file from Apple)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError('APNS_KEY_FILE', 'expected a P-256 (ES256) key, as Apple issues .p8 keys');
  }
  return { key, keyId, teamId, host };
}

function loadPush(env: Env): PushConfig {
  return {
    debounceMs: int(env, 'PUSH_DEBOUNCE_MS', 3_000, 0, 600_000),
    rewakeMs: int(env, 'PUSH_REWAKE_MS', 600_000, 0, 86_400_000),
    ...loadVapid(env),
    fcm: loadFcm(env),
    apns: loadApns(env),
    allowLoopbackEndpoints: false,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A comma- or space-separated list of user ids (uuids). */
function userIds(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const ids = raw.split(/[\s,]+/).filter(Boolean);
  for (const id of ids) if (!UUID.test(id)) throw new ConfigError(name, `expected user ids (uuids), got "${id.slice(0, 40)}"`);
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A comma-separated list of origins (`https://app.example`), each checked. */
function origins(env: Env, name: string): string[] {
  const raw = env[name];
  if (!raw) return [];
  return raw.split(',').map((o) => {
    const v = o.trim();
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(name, `"${v}" is not an origin (scheme://host[:port])`);
    }
    if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.origin !== v) throw new ConfigError(name, `"${v}" is not an origin (scheme://host[:port])`);
    return v;
  });
}

function metricsToken(env: Env): string | undefined {
  const raw = env.METRICS_TOKEN;
  if (!raw) return undefined;
  if (raw.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const secretRaw = env.JWT_SECRET;
  let jwtSecret: Uint8Array;
  let jwtSecretGenerated = false;
  if (secretRaw) {
    if (secretRaw.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
    jwtSecret = new TextEncoder().encode(secretRaw);
  } else {
    jwtSecret = crypto.getRandomValues(new Uint8Array(32));
    jwtSecretGenerated = true;
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);

  const tlsCert = env.TLS_CERT || undefined;
  const tlsKey = env.TLS_KEY || undefined;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    throw new ConfigError(tlsCert ? 'TLS_KEY' : 'TLS_CERT', 'TLS_CERT and TLS_KEY must be set together');
  }

  const ext: ExternalAuthConfig = {
    hs256Secret: env.EXTERNAL_JWT_SECRET || undefined,
    jwksUrl: url(env, 'EXTERNAL_JWKS_URL', ['http:', 'https:']),
    issuer: env.EXTERNAL_JWT_ISSUER || undefined,
    audience: env.EXTERNAL_JWT_AUDIENCE || undefined,
  };
  if (ext.hs256Secret && ext.hs256Secret.length < 32) {
    throw new ConfigError('EXTERNAL_JWT_SECRET', 'must be at least 32 characters');
  }
  if (ext.hs256Secret && ext.jwksUrl) {
    throw new ConfigError('EXTERNAL_JWKS_URL', 'set EXTERNAL_JWT_SECRET or EXTERNAL_JWKS_URL, not both');
  }

  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  return {
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    dataDir: env.DATA_DIR || './.data',
    // embedded: one connection, since pglite-socket can interleave statements of concurrent connections
    dbPoolSize: int(env, 'DB_POOL_SIZE', databaseUrl ? 10 : 1, 1, 200),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    jwtSecret,
    jwtSecretGenerated,
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL', 900, 5, 86_400),
    maxDevices: int(env, 'MAX_DEVICES', 6, 1, 127),
    linkCodeTtlSeconds: int(env, 'LINK_CODE_TTL', 600, 10, 86_400),
    logLevel,
    tlsCert,
    tlsKey,
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 8 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    maxDepth: int(env, 'GRAPHQL_MAX_DEPTH', 10, 2, 100),
    maxCost: int(env, 'GRAPHQL_MAX_COST', 5000, 10, 1_000_000),
    maxAliases: int(env, 'GRAPHQL_MAX_ALIASES', 15, 1, 1000),
    maxTokens: int(env, 'GRAPHQL_MAX_TOKENS', 2000, 50, 100_000),
    externalAuth: ext.hs256Secret || ext.jwksUrl ? ext : undefined,
    keepAliveMs: int(env, 'WS_KEEPALIVE_MS', 12_000, 1000, 600_000),
    typingTtlMs: int(env, 'TYPING_TTL_MS', 5_000, 100, 60_000),
    maxEnvelopeBytes: int(env, 'MAX_ENVELOPE_BYTES', 96 * 1024, 256, 16 * 1024 * 1024),
    maxEnvelopesPerSend: int(env, 'MAX_ENVELOPES_PER_SEND', 1000, 1, 100_000),
    sendRateBurst: int(env, 'SEND_RATE_BURST', 60, 1, 1_000_000),
    sendRatePerSecond: int(env, 'SEND_RATE_PER_SECOND', 1, 1, 1_000_000),
    envelopeRetentionDays: int(env, 'ENVELOPE_RETENTION_DAYS', 30, 1, 3650),
    messageSweepIntervalMs: int(env, 'MESSAGE_SWEEP_INTERVAL_MS', 60_000, 0, 86_400_000),
    callRingTimeoutSeconds: int(env, 'CALL_RING_TIMEOUT_SECONDS', 45, 1, 3600),
    callSweepIntervalMs: int(env, 'CALL_SWEEP_INTERVAL_MS', 5_000, 0, 86_400_000),
    blobDir: env.BLOB_DIR || `${env.DATA_DIR || './.data'}/blobs`,
    maxAttachmentBytes: int(env, 'MAX_ATTACHMENT_BYTES', 100 * 1024 * 1024, 1, 64 * 1024 * 1024 * 1024),
    attachmentUnboundTtlSeconds: int(env, 'ATTACHMENT_UNBOUND_TTL_SECONDS', 86_400, 60, 365 * 86_400),
    attachmentSweepIntervalMs: int(env, 'ATTACHMENT_SWEEP_INTERVAL_MS', 60_000, 0, 86_400_000),
    keyRotationGraceSeconds: int(env, 'KEY_ROTATION_GRACE_SECONDS', 7 * 86_400, 0, 365 * 86_400),
    preKeyLowThreshold: int(env, 'PREKEY_LOW_THRESHOLD', 10, 1, 1000),
    preKeyFetchBurst: int(env, 'PREKEY_FETCH_BURST', 6, 1, 100_000),
    preKeyFetchRefillSeconds: int(env, 'PREKEY_FETCH_REFILL_SECONDS', 600, 1, 86_400),
    preKeyStrangerBurst: int(env, 'PREKEY_STRANGER_BURST', 20, 1, 1_000_000),
    preKeyStrangerRefillSeconds: int(env, 'PREKEY_STRANGER_REFILL_SECONDS', 180, 1, 86_400),
    graphiql: bool(env, 'GRAPHIQL', env.NODE_ENV !== 'production'),
    webAppDir: env.WEB_APP_DIR === 'off' ? null : env.WEB_APP_DIR || DEFAULT_WEB_APP_DIR,
    push: loadPush(env),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    metricsToken: metricsToken(env),
    metricsPort: env.METRICS_PORT ? int(env, 'METRICS_PORT', 0, 1, 65_535) : undefined,
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    maxSubscriptionsPerSocket: int(env, 'MAX_SUBSCRIPTIONS_PER_SOCKET', 100, 1, 10_000),
    trustProxyHops: int(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    authRateBurst: int(env, 'AUTH_RATE_BURST', 20, 1, 1_000_000),
    authRatePerMinute: int(env, 'AUTH_RATE_PER_MINUTE', 10, 1, 1_000_000),
    registerRateBurst: int(env, 'REGISTER_RATE_BURST', 5, 1, 1_000_000),
    registerRatePerHour: int(env, 'REGISTER_RATE_PER_HOUR', 10, 1, 1_000_000),
    tokenRateBurst: int(env, 'TOKEN_RATE_BURST', 10, 1, 1_000_000),
    tokenRatePerMinute: int(env, 'TOKEN_RATE_PER_MINUTE', 6, 1, 1_000_000),
    hashConcurrency: int(env, 'HASH_CONCURRENCY', 2, 1, 64),
    hashQueue: int(env, 'HASH_QUEUE', 64, 0, 100_000),
    anonConcurrencyPerAddress: int(env, 'ANON_CONCURRENCY_PER_ADDRESS', 4, 1, 10_000),
    operatorUserIds: userIds(env, 'OPERATOR_USER_IDS'),
  };
}
