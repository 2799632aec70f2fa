/**
 * Apple Push Notification service over HTTP/2 (node:http2) with token-based authentication: every request
 * carries `authorization: bearer <JWT>`, an ES256 JWT whose header names the .p8 key (`kid`) and whose
 * claims are the team id (`iss`) and issue time (`iat`). Apple rejects tokens older than an hour and
 * answers TooManyProviderTokenUpdates when they change too often, so one token is reused for 50 minutes.
 * One HTTP/2 session per APNs host, kept open and shared by concurrent pushes (Apple's advice); a session
 * that errors or receives GOAWAY is dropped and the next push opens a new one.
 *
 * Request: `POST /3/device/<token>`, headers apns-topic (the app's bundle id), apns-push-type,
 * apns-priority, apns-expiration, apns-collapse-id (see apns-payload.ts for the choice of alert +
 * mutable-content). Answers: 200 delivered; 410 Unregistered / ExpiredToken, 400 BadDeviceToken /
 * DeviceTokenNotForTopic -> gone; 403 ExpiredProviderToken -> a new JWT and one more try; 429 and 5xx
 * (TooManyRequests, InternalServerError, ServiceUnavailable, Shutdown) -> retry; the rest -> failed.
 */
import http2, { type ClientHttp2Session } from 'node:http2';
import { SignJWT } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { PushKind } from './push-target.entity.js';
import type { ApnsEnvironment } from './push-target.entity.js';
import type { PushTargetRecord } from './push-target.js';
import { apnsHeaders, apnsPayload } from './apns-payload.js';
import type { PushNotification } from './notification.js';
import { delivered, networkRetry, parseRetryAfter, type PushOutcome, type PushProvider } from './provider.js';

export const APNS_HOSTS: Record<ApnsEnvironment, string> = {
  production: 'https://api.push.apple.com',
  sandbox: 'https://api.sandbox.push.apple.com',
};
/** Apple: refresh the provider token no more than once every 20 minutes and no less than once an hour. */
const PROVIDER_TOKEN_REUSE_MS = 50 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 16 * 1024;
const GONE_REASONS = new Set(['Unregistered', 'ExpiredToken', 'BadDeviceToken', 'DeviceTokenNotForTopic']);

export interface ApnsProviderOptions {
  /** The .p8 signing key (P-256). */
  key: KeyObject;
  keyId: string;
  teamId: string;
  /** APNS_HOST: one origin for every target (a test peer or proxy); unset: by the target's environment. */
  host?: string;
  timeoutMs?: number;
  now?: () => number;
}

/** The provider authentication token (JWT), reused until PROVIDER_TOKEN_REUSE_MS old. */
export class ApnsProviderToken {
  private current: { jwt: string; issuedAt: number } | null = null;
  private inflight: Promise<string> | null = null;

  constructor(
    private readonly opts: Pick<ApnsProviderOptions, 'key' | 'keyId' | 'teamId'>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    if (this.current && this.now() - this.current.issuedAt < PROVIDER_TOKEN_REUSE_MS) return this.current.jwt;
    this.inflight ??= this.sign().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Drops the token APNs called expired (ExpiredProviderToken), unless a newer one replaced it already. */
  invalidate(jwt: string): void {
    if (this.current?.jwt === jwt) this.current = null;
  }

  private async sign(): Promise<string> {
    const issuedAt = this.now();
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.opts.keyId })
      .setIssuer(this.opts.teamId)
      .setIssuedAt(Math.floor(issuedAt / 1000))
      .sign(this.opts.key);
    this.current = { jwt, issuedAt };
    return jwt;
  }
}

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

export class ApnsProvider implements PushProvider {
  readonly kinds: readonly PushKind[] = ['APNS'];
  private readonly token: ApnsProviderToken;
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private closed = false;

  constructor(private readonly opts: ApnsProviderOptions) {
    this.token = new ApnsProviderToken(opts, opts.now);
  }

  private session(origin: string): ClientHttp2Session {
    const existing = this.sessions.get(origin);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const s = http2.connect(origin);
    const forget = () => {
      if (this.sessions.get(origin) === s) this.sessions.delete(origin);
    };
    s.on('error', forget);
    s.on('goaway', forget);
    s.on('close', forget);
    // an idle session does not keep the process alive
    s.unref();
    this.sessions.set(origin, s);
    return s;
  }

  private request(origin: string, headers: http2.OutgoingHttpHeaders, body: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.session(origin).request(headers);
      } catch (e) {
        return reject(e);
      }
      stream.setTimeout(this.opts.timeoutMs ?? REQUEST_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      let status = 0;
      let resHeaders: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('response', (h) => {
        status = Number(h[':status']);
        resHeaders = h;
      });
      stream.on('data', (c: Buffer) => {
        if (size < MAX_RESPONSE_BYTES) chunks.push(c.subarray(0, MAX_RESPONSE_BYTES - size));
        size += c.length;
      });
      stream.on('end', () => resolve({ status, headers: resHeaders, body: Buffer.concat(chunks).toString('utf8') }));
      stream.on('close', () => {
        if (!status)
          reject(Object.assign(new Error(`stream closed without an answer (code ${stream.rstCode})`), { code: 'ERR_HTTP2_STREAM_CLOSED' }));
      });
      stream.on('error', reject);
      stream.end(body);
    });
  }

  async send(target: PushTargetRecord, n: PushNotification): Promise<PushOutcome> {
    if (target.kind !== 'APNS') return { kind: 'failed', reason: `not an APNs target: ${target.kind}` };
    if (this.closed) return { kind: 'retry', afterMs: null, reason: 'provider closed' };
    const origin = this.opts.host ?? APNS_HOSTS[target.environment];
    const body = JSON.stringify(apnsPayload(n, target.includeEnvelopeId));
    for (let attempt = 0; ; attempt++) {
      const jwt = await this.token.get();
      let answer: Answer;
      try {
        answer = await this.request(
          origin,
          {
            ':method': 'POST',
            ':path': `/3/device/${target.token}`,
            authorization: `bearer ${jwt}`,
            'apns-topic': target.topic,
            ...apnsHeaders(n),
            'content-type': 'application/json',
          },
          body,
        );
      } catch (e) {
        return networkRetry(e);
      }
      if (answer.status === 200) return delivered;
      let reason = '';
      try {
        reason = String((JSON.parse(answer.body) as { reason?: string }).reason ?? '');
      } catch {
        // no JSON body: the status decides
      }
      const what = `HTTP ${answer.status}${reason ? ` ${reason}` : ''}`;
      if (answer.status === 403 && reason === 'ExpiredProviderToken' && attempt === 0) {
        this.token.invalidate(jwt);
        continue;
      }
      if (answer.status === 410 || GONE_REASONS.has(reason)) return { kind: 'gone', reason: what };
      if (answer.status === 429 || answer.status >= 500) {
        if (reason === 'Shutdown') this.sessions.get(origin)?.close();
        return { kind: 'retry', afterMs: parseRetryAfter(answer.headers['retry-after'] as string | undefined), reason: what };
      }
      return { kind: 'failed', reason: what };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.close(() => resolve())))));
  }
}
