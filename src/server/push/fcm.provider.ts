/**
 * Firebase Cloud Messaging, HTTP v1 API: `POST {FCM_API_URL}/v1/projects/{project}/messages:send` with an
 * OAuth 2.0 bearer token (fcm-auth.ts). The message is data-only (the app decides what to show after
 * decrypting), with `android.priority` HIGH for calls and urgent messages, NORMAL otherwise, `android.ttl`
 * and `android.collapse_key`; an `apns` override makes the same token work for an iOS app registered
 * through FCM (see apns-payload.ts).
 *
 * Answers (FCM v1 ErrorCode): UNREGISTERED or 404 -> gone; SENDER_ID_MISMATCH -> gone (the token belongs to
 * another project and never will work here); INVALID_ARGUMENT carried as an FcmError without field
 * violations ("not a valid FCM registration token") -> gone, with field violations (our request) -> failed;
 * 401 UNAUTHENTICATED -> the access token is refreshed and the push sent once more; QUOTA_EXCEEDED/429,
 * UNAVAILABLE/503, INTERNAL/500 and other 5xx -> retry (Retry-After honoured); anything else -> failed.
 */
import type { FcmServiceAccount } from '../config.js';
import { apnsHeaders, apnsPayload } from './apns-payload.js';
import { AccessTokenError, GoogleAccessTokens } from './fcm-auth.js';
import { HttpPoster, type HttpResponse } from './http-post.js';
import type { PushKind } from './push-target.entity.js';
import type { PushTargetRecord } from './push-target.js';
import { type PushNotification, pushData, ttlSeconds } from './notification.js';
import { delivered, networkRetry, parseRetryAfter, type PushOutcome, type PushProvider } from './provider.js';

const REQUEST_TIMEOUT_MS = 10_000;
const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

export interface FcmProviderOptions {
  serviceAccount: FcmServiceAccount;
  /** FCM_API_URL (default https://fcm.googleapis.com), without a trailing slash. */
  apiUrl: string;
  timeoutMs?: number;
}

interface FcmErrorBody {
  error?: { code?: number; status?: string; message?: string; details?: { '@type'?: string; errorCode?: string; fieldViolations?: unknown[] }[] };
}

/** The FCM request body for one push (exported for tests and documentation). */
export function fcmMessage(token: string, n: PushNotification, includeEnvelopeId: boolean): Record<string, unknown> {
  return {
    message: {
      token,
      data: pushData(n, includeEnvelopeId),
      android: {
        priority: n.urgency === 'high' ? 'HIGH' : 'NORMAL',
        ttl: `${ttlSeconds(n)}s`,
        ...(n.collapseId ? { collapse_key: n.collapseId } : {}),
      },
      apns: { headers: apnsHeaders(n), payload: apnsPayload(n, includeEnvelopeId) },
    },
  };
}

function classify(res: HttpResponse): PushOutcome {
  if (res.status >= 200 && res.status < 300) return delivered;
  let body: FcmErrorBody = {};
  try {
    body = JSON.parse(res.body);
  } catch {
    // an HTML error page from a proxy, say: the status decides
  }
  const details = body.error?.details ?? [];
  const errorCode = details.find((d) => d['@type'] === FCM_ERROR_TYPE)?.errorCode;
  const badRequest = details.some((d) => d['@type'] === BAD_REQUEST_TYPE);
  const reason = `HTTP ${res.status} ${errorCode ?? body.error?.status ?? ''}`.trim();
  if (errorCode === 'UNREGISTERED' || errorCode === 'SENDER_ID_MISMATCH' || res.status === 404) return { kind: 'gone', reason };
  if (errorCode === 'INVALID_ARGUMENT' && !badRequest) return { kind: 'gone', reason };
  if (res.status === 429 || res.status >= 500 || errorCode === 'QUOTA_EXCEEDED' || errorCode === 'UNAVAILABLE' || errorCode === 'INTERNAL') {
    return { kind: 'retry', afterMs: parseRetryAfter(res.headers['retry-after']), reason };
  }
  return { kind: 'failed', reason };
}

export class FcmProvider implements PushProvider {
  readonly kinds: readonly PushKind[] = ['FCM'];
  private readonly tokens: GoogleAccessTokens;
  private readonly http = new HttpPoster(false);
  private readonly url: string;

  constructor(private readonly opts: FcmProviderOptions) {
    this.tokens = new GoogleAccessTokens(opts.serviceAccount);
    this.url = `${opts.apiUrl}/v1/projects/${encodeURIComponent(opts.serviceAccount.projectId)}/messages:send`;
  }

  async send(target: PushTargetRecord, n: PushNotification): Promise<PushOutcome> {
    if (target.kind !== 'FCM') return { kind: 'failed', reason: `not an FCM target: ${target.kind}` };
    const body = JSON.stringify(fcmMessage(target.token, n, target.includeEnvelopeId));
    for (let attempt = 0; ; attempt++) {
      let accessToken: string;
      try {
        accessToken = await this.tokens.get();
      } catch (e) {
        const transient = e instanceof AccessTokenError ? e.transient : true;
        return transient ? { kind: 'retry', afterMs: null, reason: (e as Error).message } : { kind: 'failed', reason: (e as Error).message };
      }
      let res: HttpResponse;
      try {
        res = await this.http.post(this.url, {
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=utf-8' },
          body,
          timeoutMs: this.opts.timeoutMs ?? REQUEST_TIMEOUT_MS,
        });
      } catch (e) {
        return networkRetry(e);
      }
      const outcome = classify(res);
      // 401 with our token (not THIRD_PARTY_AUTH_ERROR, which is about the app's APNs credentials at Google)
      if (res.status === 401 && !res.body.includes('THIRD_PARTY_AUTH_ERROR') && attempt === 0) {
        this.tokens.invalidate(accessToken);
        continue;
      }
      return outcome;
    }
  }

  async close(): Promise<void> {
    this.http.close();
    this.tokens.close();
  }
}
