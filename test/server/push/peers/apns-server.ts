/**
 * An HTTP/2 test server speaking APNs' provider API (h2c on loopback): `POST /3/device/<hex token>`, token
 * authentication (`authorization: bearer <ES256 JWT>` with `kid` = key id, `iss` = team id, `iat` under an
 * hour old, verified against the .p8 key's public half), the apns-* request headers, and Apple's documented
 * answers: 200 with `apns-id`, or a status with `{"reason": ...}` (410 adds `timestamp`).
 * Answers per device token come from a script; once it is used up, 200.
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import http2, { type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';

export interface ApnsAnswer {
  status: number;
  reason?: string;
}

export interface ApnsRequest {
  token: string;
  at: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  jwt: string;
  /** The checks this request failed (answered 400/403), if any. */
  problem?: string;
  session: ServerHttp2Session;
}

const PUSH_TYPES = ['alert', 'background', 'voip', 'complication', 'fileprovider', 'mdm', 'location', 'liveactivity', 'pushtotalk'];
const MAX_PAYLOAD_BYTES = 4096;

export function newApnsKey(): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export class ApnsTestServer {
  readonly requests: ApnsRequest[] = [];
  readonly sessions = new Set<ServerHttp2Session>();
  private readonly scripts = new Map<string, ApnsAnswer[]>();
  private server!: Http2Server;
  origin = '';

  constructor(
    private readonly publicKey: KeyObject,
    private readonly keyId: string,
    private readonly teamId: string,
  ) {}

  async start(): Promise<this> {
    this.server = http2.createServer();
    this.server.on('session', (s) => this.sessions.add(s));
    this.server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void this.handle(headers, Buffer.concat(chunks), stream.session as ServerHttp2Session).then(({ status, body }) => {
          stream.respond({
            ':status': status,
            'apns-id': String(headers['apns-id'] ?? randomUUID()),
            ...(body ? { 'content-type': 'application/json' } : {}),
          });
          stream.end(body);
        });
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  script(token: string, answers: ApnsAnswer[]): void {
    this.scripts.set(token, [...answers]);
  }

  requestsFor(token: string): ApnsRequest[] {
    return this.requests.filter((r) => r.token === token);
  }

  private async handle(headers: IncomingHttpHeaders, raw: Buffer, session: ServerHttp2Session): Promise<{ status: number; body?: string }> {
    const answer = (status: number, reason?: string) => ({
      status,
      body: reason ? JSON.stringify(status === 410 ? { reason, timestamp: Date.now() } : { reason }) : undefined,
    });
    const path = String(headers[':path'] ?? '');
    const m = /^\/3\/device\/([0-9a-f]+)$/.exec(path);
    if (headers[':method'] !== 'POST') return answer(405, 'MethodNotAllowed');
    if (!m) return answer(404, 'BadPath');
    const token = m[1];
    const jwt = /^bearer (\S+)$/.exec(String(headers.authorization ?? ''))?.[1] ?? '';
    const req: ApnsRequest = { token, at: Date.now(), headers, body: {}, jwt, session };
    this.requests.push(req);
    const fail = (status: number, reason: string, problem: string) => {
      req.problem = problem;
      return answer(status, reason);
    };
    if (!jwt) return fail(403, 'MissingProviderToken', 'no bearer token');
    try {
      const h = decodeProtectedHeader(jwt);
      if (h.alg !== 'ES256' || h.kid !== this.keyId) return fail(403, 'InvalidProviderToken', `header ${JSON.stringify(h)}`);
      const { payload } = await jwtVerify(jwt, this.publicKey, { issuer: this.teamId, algorithms: ['ES256'] });
      if (typeof payload.iat !== 'number') return fail(403, 'InvalidProviderToken', 'no iat');
      if (Date.now() / 1000 - payload.iat > 3600) return fail(403, 'ExpiredProviderToken', 'token older than an hour');
    } catch (e) {
      return fail(403, 'InvalidProviderToken', (e as Error).message);
    }
    const topic = headers['apns-topic'];
    if (!topic) return fail(400, 'MissingTopic', 'no apns-topic');
    const pushType = String(headers['apns-push-type'] ?? '');
    if (!PUSH_TYPES.includes(pushType)) return fail(400, 'InvalidPushType', `apns-push-type ${pushType}`);
    const priority = String(headers['apns-priority'] ?? '10');
    if (!['10', '5', '1'].includes(priority)) return fail(400, 'BadPriority', `apns-priority ${priority}`);
    if (pushType === 'background' && priority !== '5') return fail(400, 'BadPriority', 'background pushes must use priority 5');
    if (headers['apns-expiration'] !== undefined && !/^\d+$/.test(String(headers['apns-expiration'])))
      return fail(400, 'BadExpirationDate', 'apns-expiration');
    if (headers['apns-collapse-id'] !== undefined && Buffer.byteLength(String(headers['apns-collapse-id'])) > 64)
      return fail(400, 'BadCollapseId', 'collapse id > 64 bytes');
    if (raw.length === 0) return fail(400, 'PayloadEmpty', 'empty body');
    if (raw.length > MAX_PAYLOAD_BYTES) return fail(413, 'PayloadTooLarge', 'body > 4 KiB');
    try {
      req.body = JSON.parse(raw.toString('utf8'));
    } catch {
      // Apple documents no reason for a body that is not JSON; this peer refuses it all the same
      return fail(400, 'BadPayload', 'body is not JSON');
    }
    const scripted = this.scripts.get(token)?.shift();
    if (scripted) return answer(scripted.status, scripted.reason);
    return { status: 200 };
  }
}
