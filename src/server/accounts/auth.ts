/**
 * Device credentials and access tokens.
 *
 * A device gets a random 256-bit secret once, at registration or linking; the server keeps only a scrypt
 * hash of it. The device exchanges the secret for a short-lived HS256 access token (jose) and presents
 * that token as `Authorization: Bearer` on HTTP and in `connectionParams` on graphql-ws. Every use of a
 * token also checks that its device still exists, so a removed device is locked out at once.
 */
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import type { ExternalAuthConfig } from '../config.js';

const SCRYPT = { N: 1 << 14, r: 8, p: 1, keylen: 32 };

function scrypt(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

const CREDENTIAL = /^sr1\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/**
 * A device's long-term credential as the client keeps it: one opaque string, `sr1.<Device.id>.<secret>`,
 * so the credential exchange takes exactly what registration returned (no id to pick from beside it).
 */
export function deviceCredential(deviceUuid: string, secret: string): string {
  return `sr1.${deviceUuid}.${secret}`;
}

/** The device id and secret of a credential, or null when it is not one. */
export function parseDeviceCredential(credential: string): { deviceUuid: string; secret: string } | null {
  const m = typeof credential === 'string' ? CREDENTIAL.exec(credential) : null;
  return m ? { deviceUuid: m[1], secret: m[2] } : null;
}

/** `scrypt$N$r$p$salt$hash` */
export async function hashDeviceSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyDeviceSecret(secret: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scryptCb(secret, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface AccessTokenClaims {
  userId: string;
  deviceUuid: string;
  deviceId: number;
  exp: number;
}

const ISSUER = 'sealed-relay';
const AUDIENCE = 'sealed-relay:device';

export class TokenService {
  private readonly jwks?: JWTVerifyGetKey;
  private readonly externalSecret?: Uint8Array;

  constructor(
    private readonly secret: Uint8Array,
    private readonly ttlSeconds: number,
    private readonly external?: ExternalAuthConfig,
  ) {
    if (external?.jwksUrl) this.jwks = createRemoteJWKSet(new URL(external.jwksUrl));
    if (external?.hs256Secret) this.externalSecret = new TextEncoder().encode(external.hs256Secret);
  }

  get externalEnabled(): boolean {
    return Boolean(this.jwks || this.externalSecret);
  }

  async issue(c: Omit<AccessTokenClaims, 'exp'>): Promise<{ token: string; expiresAt: Date }> {
    const exp = Math.floor(Date.now() / 1000) + this.ttlSeconds;
    const token = await new SignJWT({ uid: c.userId, did: c.deviceId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(c.deviceUuid)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * Verifies one of our device tokens; null if it is forged, malformed or expired. Synchronous HMAC
   * (node:crypto) on purpose: an asynchronous WebCrypto check would queue on the libuv thread pool behind
   * whatever else runs there (hashing, file I/O), and every request checks a token.
   */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    return this.verifySync(token);
  }

  verifySync(token: string): AccessTokenClaims | null {
    if (typeof token !== 'string' || token.length > 4096) return null;
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return null;
    const [h, p, sig] = parts;
    const expected = createHmac('sha256', this.secret).update(`${h}.${p}`).digest();
    const presented = Buffer.from(sig, 'base64url');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
    let header: { alg?: unknown; typ?: unknown };
    let payload: { iss?: unknown; aud?: unknown; exp?: unknown; sub?: unknown; uid?: unknown; did?: unknown };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (header?.alg !== 'HS256' || payload?.iss !== ISSUER || payload.aud !== AUDIENCE) return null;
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) return null;
    if (typeof payload.sub !== 'string' || typeof payload.uid !== 'string' || typeof payload.did !== 'number') return null;
    return { userId: payload.uid, deviceUuid: payload.sub, deviceId: payload.did, exp: payload.exp };
  }

  /** Verifies an external identity provider's token; returns its subject, or null. */
  async verifyExternal(token: string): Promise<string | null> {
    if (!this.externalEnabled) return null;
    const opts = { issuer: this.external?.issuer, audience: this.external?.audience };
    try {
      const { payload } = this.jwks
        ? await jwtVerify(token, this.jwks, opts)
        : await jwtVerify(token, this.externalSecret!, { ...opts, algorithms: ['HS256'] });
      return typeof payload.sub === 'string' && payload.sub ? payload.sub : null;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return null;
      throw err;
    }
  }
}
