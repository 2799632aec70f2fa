/**
 * An HTTP test server speaking FCM HTTP v1 and Google's OAuth 2.0 token endpoint:
 * - `POST /token`: a JWT bearer grant (RFC 7523) whose assertion is RS256 signed by the service account's
 *   key, with `iss` = client_email, `aud` = token_uri, `scope` including firebase.messaging, at most an hour
 *   of validity; answers `{access_token, expires_in, token_type}` or `{"error": "invalid_grant"}`.
 * - `POST /v1/projects/<project>/messages:send`: a Bearer token it issued, and a message as FCM checks it
 *   (registration token, string-only data without reserved keys and under 4 KiB, android.priority NORMAL or
 *   HIGH, android.ttl as a duration in seconds). Answers `{name}` or FCM's documented error bodies:
 *   `{error: {code, message, status, details: [{@type: ...FcmError, errorCode}]}}`.
 * Answers per registration token come from a script; once it is used up, 200.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import type { FcmServiceAccount } from '../../../../src/server/config.js';

export const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const STATUS_OF: Record<string, [number, string, string]> = {
  UNREGISTERED: [404, 'NOT_FOUND', 'Requested entity was not found.'],
  INVALID_ARGUMENT: [400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token'],
  SENDER_ID_MISMATCH: [403, 'PERMISSION_DENIED', 'SenderId mismatch'],
  QUOTA_EXCEEDED: [429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.'],
  UNAVAILABLE: [503, 'UNAVAILABLE', 'The service is currently unavailable.'],
  INTERNAL: [500, 'INTERNAL', 'Internal error encountered.'],
  THIRD_PARTY_AUTH_ERROR: [401, 'UNAUTHENTICATED', 'Auth error from APNS or Web Push Service'],
};
const RESERVED_DATA_KEYS = /^(from|notification|message_type|gcm\..*|google\..*)$/;
const MAX_DATA_BYTES = 4096;

export interface FcmAnswer {
  errorCode: keyof typeof STATUS_OF;
  retryAfter?: string;
  /** Answer INVALID_ARGUMENT as a google.rpc.BadRequest naming this field (a request FCM refuses, not a bad token). */
  fieldViolation?: string;
}

export interface FcmRequest {
  at: number;
  headers: IncomingHttpHeaders;
  body: { message?: Record<string, any> };
  accessToken: string;
  problem?: string;
}

export function newServiceAccountKey(): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export class FcmTestServer {
  readonly sends: FcmRequest[] = [];
  readonly grants: { at: number; claims: Record<string, unknown>; kid?: string }[] = [];
  /** Access tokens issued and still accepted. */
  readonly issued = new Set<string>();
  private readonly scripts = new Map<string, FcmAnswer[]>();
  /** The token endpoint refuses every grant while set. */
  refuseGrants = false;
  private server!: Server;
  origin = '';

  constructor(
    private readonly projectId: string,
    private readonly clientEmail: string,
    private readonly publicKey: KeyObject,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.route(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8')).then(({ status, headers, body }) =>
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body)),
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  get tokenUri(): string {
    return `${this.origin}/token`;
  }

  serviceAccount(privateKey: KeyObject): FcmServiceAccount {
    return { projectId: this.projectId, clientEmail: this.clientEmail, privateKeyId: 'key-1', privateKey, tokenUri: this.tokenUri };
  }

  script(registrationToken: string, answers: FcmAnswer[]): void {
    this.scripts.set(registrationToken, [...answers]);
  }

  sendsFor(registrationToken: string): FcmRequest[] {
    return this.sends.filter((s) => s.body.message?.token === registrationToken);
  }

  private async route(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: string,
  ): Promise<{ status: number; headers?: Record<string, string>; body: unknown }> {
    if (method === 'POST' && url === '/token') return this.token(headers, body);
    if (method === 'POST' && url === `/v1/projects/${this.projectId}/messages:send`) return this.send(headers, body);
    return { status: 404, body: { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } } };
  }

  private async token(headers: IncomingHttpHeaders, raw: string) {
    const invalid = (description: string) => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });
    if (!String(headers['content-type']).startsWith('application/x-www-form-urlencoded')) return invalid('not a form');
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (this.refuseGrants) return invalid('Invalid JWT Signature.');
    try {
      const { payload, protectedHeader } = await jwtVerify(form.get('assertion') ?? '', this.publicKey, {
        algorithms: ['RS256'],
        issuer: this.clientEmail,
        audience: this.tokenUri,
      });
      if (
        !String(payload.scope ?? '')
          .split(' ')
          .includes('https://www.googleapis.com/auth/firebase.messaging')
      )
        return invalid('scope');
      if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number' || payload.exp - payload.iat > 3600)
        return invalid('lifetime over an hour');
      this.grants.push({ at: Date.now(), claims: payload as Record<string, unknown>, kid: protectedHeader.kid });
    } catch (e) {
      return invalid((e as Error).message);
    }
    const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
    this.issued.add(accessToken);
    return { status: 200, body: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' } };
  }

  private async send(headers: IncomingHttpHeaders, raw: string) {
    const accessToken = /^Bearer (\S+)$/.exec(String(headers.authorization ?? ''))?.[1] ?? '';
    const req: FcmRequest = { at: Date.now(), headers, body: {}, accessToken };
    this.sends.push(req);
    const googleError = (code: number, status: string, message: string, details: unknown[] = []) => ({
      status: code,
      body: { error: { code, message, status, details } },
    });
    let parsed: FcmRequest['body'] | undefined;
    try {
      parsed = JSON.parse(raw);
      req.body = parsed!;
    } catch {
      // answered below, after authentication, as FCM does
    }
    if (!this.issued.has(accessToken)) {
      req.problem = 'access token unknown or expired';
      return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    const badRequest = (field: string, description: string) => {
      req.problem = `${field}: ${description}`;
      return googleError(400, 'INVALID_ARGUMENT', description, [
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] },
      ]);
    };
    if (!parsed) return badRequest('', 'Invalid JSON payload received.');
    const m = req.body.message;
    if (!m || typeof m.token !== 'string') return badRequest('message.token', 'a registration token is required');
    const data = m.data ?? {};
    for (const [k, v] of Object.entries(data)) {
      if (typeof v !== 'string') return badRequest(`message.data[${k}]`, 'Invalid value (TYPE_STRING)');
      if (RESERVED_DATA_KEYS.test(k)) return badRequest(`message.data[${k}]`, 'reserved key');
    }
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_DATA_BYTES) return badRequest('message.data', 'Message too big');
    if (m.android) {
      if (!['NORMAL', 'HIGH'].includes(m.android.priority)) return badRequest('message.android.priority', 'Invalid value');
      if (m.android.ttl !== undefined && !/^\d+(\.\d{1,9})?s$/.test(m.android.ttl)) return badRequest('message.android.ttl', 'Invalid duration');
    }
    const scripted = this.scripts.get(m.token)?.shift();
    if (scripted?.fieldViolation) return badRequest(scripted.fieldViolation, `Invalid value at '${scripted.fieldViolation}'`);
    if (scripted) {
      const [code, status, message] = STATUS_OF[scripted.errorCode];
      const res = googleError(code, status, message, [{ '@type': FCM_ERROR_TYPE, errorCode: scripted.errorCode }]);
      return scripted.retryAfter ? { ...res, headers: { 'retry-after': scripted.retryAfter } } : res;
    }
    return { status: 200, body: { name: `projects/${this.projectId}/messages/${randomBytes(8).toString('hex')}` } };
  }
}
