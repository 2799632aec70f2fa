/**
 * OAuth 2.0 access tokens for the FCM HTTP v1 API from a service account: a JWT bearer grant (RFC 7523),
 * signed RS256 with the account's key, sent to the account's `token_uri`, as Google documents for
 * server-to-server apps. A token is reused until shortly before it expires; concurrent callers share one
 * refresh.
 */
import { SignJWT } from 'jose';
import type { FcmServiceAccount } from '../config.js';
import { HttpPoster } from './http-post.js';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most one hour. */
const ASSERTION_LIFETIME_SECONDS = 3600;
/** A token is replaced this long before its stated expiry (clock skew, requests in flight). */
const REFRESH_MARGIN_MS = 5 * 60_000;
const TOKEN_TIMEOUT_MS = 10_000;

/** The token endpoint refused or failed; `transient` when a later attempt may succeed (5xx, network). */
export class AccessTokenError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'AccessTokenError';
  }
}

export class GoogleAccessTokens {
  private cached: { token: string; refreshAt: number } | null = null;
  private inflight: Promise<string> | null = null;
  private readonly http = new HttpPoster(false);

  constructor(
    private readonly account: FcmServiceAccount,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid access token (cached, or fetched now). */
  async get(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.token;
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Forgets the cached token (after the API answered 401 with it). */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = null;
  }

  private async fetch(): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(this.account.privateKeyId ? { kid: this.account.privateKeyId } : {}) })
      .setIssuer(this.account.clientEmail)
      .setAudience(this.account.tokenUri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
      .sign(this.account.privateKey);
    let res;
    try {
      res = await this.http.post(this.account.tokenUri, {
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
        timeoutMs: TOKEN_TIMEOUT_MS,
      });
    } catch (e) {
      throw new AccessTokenError(`token endpoint unreachable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, true);
    }
    if (res.status !== 200) {
      let detail = '';
      try {
        detail = (JSON.parse(res.body) as { error?: string }).error ?? '';
      } catch {
        // not JSON
      }
      throw new AccessTokenError(`token endpoint answered ${res.status}${detail ? ` (${detail})` : ''}`, res.status >= 500 || res.status === 429);
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new AccessTokenError('token endpoint answered with something other than JSON', true);
    }
    if (typeof body.access_token !== 'string' || body.access_token === '' || typeof body.expires_in !== 'number') {
      throw new AccessTokenError('token endpoint answer lacks access_token / expires_in', true);
    }
    this.cached = { token: body.access_token, refreshAt: this.now() + Math.max(0, body.expires_in * 1000 - REFRESH_MARGIN_MS) };
    return body.access_token;
  }

  close(): void {
    this.http.close();
  }
}
