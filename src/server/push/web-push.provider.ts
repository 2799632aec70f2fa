/**
 * Web Push (RFC 8030) and UnifiedPush, which uses the same endpoint shape. The `web-push` library builds each
 * request: the payload encrypted for the subscription (RFC 8291, aes128gcm, RFC 8188 framing) and the VAPID
 * Authorization header (RFC 8292, `vapid t=<ES256 JWT>, k=<public key>`). This module sends it itself (a
 * pooled, deadline-bound POST that refuses non-public addresses) and reads the answer:
 * 201/2xx delivered; 404/410 gone (the subscription expired or was unsubscribed, RFC 8030 §7.3);
 * 429 and 5xx retry, honouring Retry-After; anything else failed.
 *
 * Headers: `TTL` (seconds the service may hold the push), `Urgency` (RFC 8030 §5.3: high for calls, normal for
 * messages), `Topic` (§5.4: a newer push replaces an undelivered one with the same topic).
 * A UnifiedPush target without Web Push keys gets the (content-free) JSON unencrypted, as UnifiedPush allows.
 *
 * The VAPID JWT depends only on the push service's origin (`aud`) and its expiry, so one header is signed per
 * origin and reused (RFC 8292 §2 lets a JWT serve many requests until `exp`): signing is about two thirds of
 * the CPU cost of building a push, and the notifier may build hundreds a second.
 */
import webpush from 'web-push';
import type { VapidKeys } from '../config.js';
import { HttpPoster } from './http-post.js';
import type { PushKind } from './push-target.entity.js';
import type { PushTargetRecord } from './push-target.js';
import { type PushNotification, pushData, ttlSeconds } from './notification.js';
import { delivered, networkRetry, parseRetryAfter, type PushOutcome, type PushProvider } from './provider.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** VAPID JWT lifetime: RFC 8292 §2 allows at most 24 hours. */
const VAPID_JWT_LIFETIME_SECONDS = 12 * 3600;
/** A cached VAPID header is replaced once less than this is left of its lifetime. */
const VAPID_JWT_MIN_LEFT_SECONDS = 3600;
/** Push service origins with a cached VAPID header (browser vendors are a handful; UnifiedPush servers are many). */
const MAX_VAPID_ORIGINS = 1000;

export interface WebPushProviderOptions {
  /** Application server keys; without them only UNIFIED_PUSH is served (Web Push services require VAPID). */
  vapid?: VapidKeys;
  /** VAPID `sub`: a mailto: or https: contact. */
  subject?: string;
  /** Tests: endpoints on loopback addresses may be reached (else only public addresses are). */
  allowLoopbackEndpoints?: boolean;
  timeoutMs?: number;
}

/** Used when VAPID keys were generated and no VAPID_SUBJECT is set (RFC 8292 §2.1: `sub` SHOULD be a contact). */
export const DEFAULT_VAPID_SUBJECT = 'mailto:postmaster@localhost';

export class WebPushProvider implements PushProvider {
  readonly kinds: readonly PushKind[];
  private readonly http: HttpPoster;
  private readonly vapidDetails: { subject: string; publicKey: string; privateKey: string } | null;
  /** origin -> Authorization header and its `exp` (seconds), oldest first */
  private readonly vapidHeaders = new Map<string, { authorization: string; exp: number }>();

  constructor(private readonly opts: WebPushProviderOptions) {
    this.kinds = opts.vapid ? ['WEB_PUSH', 'UNIFIED_PUSH'] : ['UNIFIED_PUSH'];
    this.vapidDetails = opts.vapid ? { subject: opts.subject ?? DEFAULT_VAPID_SUBJECT, ...opts.vapid } : null;
    this.http = new HttpPoster(!opts.allowLoopbackEndpoints);
  }

  async send(target: PushTargetRecord, n: PushNotification): Promise<PushOutcome> {
    if (target.kind !== 'WEB_PUSH' && target.kind !== 'UNIFIED_PUSH') return { kind: 'failed', reason: `not a Web Push target: ${target.kind}` };
    if (target.kind === 'WEB_PUSH' && !this.vapidDetails) return { kind: 'failed', reason: 'no VAPID keys configured' };
    const payload = JSON.stringify(pushData(n, target.includeEnvelopeId));
    let headers: Record<string, string | number>;
    let body: Uint8Array | string | null;
    try {
      const subscription = {
        endpoint: target.endpoint,
        keys: target.keys
          ? { p256dh: Buffer.from(target.keys.p256dh).toString('base64url'), auth: Buffer.from(target.keys.auth).toString('base64url') }
          : { p256dh: '', auth: '' },
      };
      const details = webpush.generateRequestDetails(subscription, target.keys ? payload : undefined, {
        // VAPID is added below from the per-origin cache; null here keeps web-push from signing every request
        vapidDetails: null as never,
        TTL: ttlSeconds(n),
        urgency: n.urgency,
        contentEncoding: 'aes128gcm',
        ...(n.collapseId ? { topic: n.collapseId } : {}),
      });
      headers = { ...(details.headers as Record<string, string | number>) };
      if (this.vapidDetails) headers.Authorization = this.vapidAuthorization(new URL(target.endpoint).origin);
      body = details.body;
      if (!target.keys) {
        body = payload;
        headers['Content-Type'] = 'application/json';
      }
      delete headers['Content-Length'];
    } catch (e) {
      return { kind: 'failed', reason: `cannot build the request: ${(e as Error).message}` };
    }
    let res;
    try {
      res = await this.http.post(target.endpoint, { headers, body, timeoutMs: this.opts.timeoutMs ?? REQUEST_TIMEOUT_MS });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENONPUBLIC') return { kind: 'failed', reason: (e as Error).message };
      return networkRetry(e);
    }
    if (res.status >= 200 && res.status < 300) return delivered;
    if (res.status === 404 || res.status === 410) return { kind: 'gone', reason: `HTTP ${res.status}` };
    if (res.status === 429 || res.status >= 500)
      return { kind: 'retry', afterMs: parseRetryAfter(res.headers['retry-after']), reason: `HTTP ${res.status}` };
    return { kind: 'failed', reason: `HTTP ${res.status}` };
  }

  /** `vapid t=<JWT>, k=<public key>` for the push service at `origin`, signed at most once per ~11 hours. */
  private vapidAuthorization(origin: string): string {
    const now = Math.floor(Date.now() / 1000);
    const cached = this.vapidHeaders.get(origin);
    if (cached && cached.exp - now > VAPID_JWT_MIN_LEFT_SECONDS) return cached.authorization;
    const v = this.vapidDetails!;
    const exp = now + VAPID_JWT_LIFETIME_SECONDS;
    const authorization = webpush.getVapidHeaders(origin, v.subject, v.publicKey, v.privateKey, 'aes128gcm', exp).Authorization;
    this.vapidHeaders.delete(origin);
    if (this.vapidHeaders.size >= MAX_VAPID_ORIGINS) this.vapidHeaders.delete(this.vapidHeaders.keys().next().value!);
    this.vapidHeaders.set(origin, { authorization, exp });
    return authorization;
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
