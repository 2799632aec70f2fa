/**
 * A local RFC 8030 push service for tests: an HTTP server that accepts push messages at /push/<id>, checks
 * the VAPID Authorization (RFC 8292: `vapid t=<JWT>, k=<key>`, ES256 with the key in `k`, `aud` = this
 * origin, `exp` within 24 h, a `sub` contact), and decrypts the RFC 8291 payload with the subscription's
 * private key, implementing the user agent's side with node:crypto:
 *   RFC 8188 header: salt (16) | rs (uint32) | idlen (1) | keyid (= the sender's ephemeral P-256 key, 65)
 *   ecdh_secret = ECDH(ua_private, as_public)
 *   IKM   = HKDF(salt = auth_secret, ikm = ecdh_secret, info = "WebPush: info" 0x00 ua_public as_public, 32)
 *   CEK   = HKDF(salt, IKM, "Content-Encoding: aes128gcm" 0x00, 16)
 *   NONCE = HKDF(salt, IKM, "Content-Encoding: nonce" 0x00, 12)
 *   one record: AES-128-GCM(CEK, NONCE), plaintext = data 0x02 0x00*
 * Each subscription answers from a script of responses (201 Created once the script is used up).
 */
import { createDecipheriv, createECDH, type ECDH, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ReceivedPush {
  subscriptionId: string;
  at: number;
  headers: IncomingHttpHeaders;
  /** The decrypted (or, without keys, plain) payload, parsed as JSON. */
  payload: Record<string, unknown> | null;
  /** Why the request was refused by the checks (then answered 400/401), if it was. */
  problem?: string;
  /** The VAPID JWT's claims and `k`, when present and valid. */
  vapid?: { aud: string; exp: number; sub: string; k: string };
}

export interface TestSubscription {
  id: string;
  endpoint: string;
  /** base64url, as PushSubscription.toJSON().keys gives them */
  p256dh: string;
  auth: string;
  ecdh: ECDH;
  authSecret: Buffer;
  script: ScriptedResponse[];
  encrypted: boolean;
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

export function decryptAes128gcm(body: Buffer, ecdh: ECDH, authSecret: Buffer): Buffer {
  if (body.length < 21) throw new Error('body shorter than the RFC 8188 header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  const keyid = body.subarray(21, 21 + idlen);
  if (idlen !== 65) throw new Error(`keyid is ${idlen} bytes, RFC 8291 wants the 65-byte sender key`);
  const ciphertext = body.subarray(21 + idlen);
  if (ciphertext.length > rs) throw new Error('more than one record');
  const uaPublic = ecdh.getPublicKey();
  const ecdhSecret = ecdh.computeSecret(keyid);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, keyid]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 0x02) throw new Error('missing the last-record delimiter 0x02');
  return padded.subarray(0, end);
}

async function checkVapid(authorization: string | undefined, origin: string): Promise<ReceivedPush['vapid']> {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) throw new Error(`Authorization is not "vapid t=..., k=...": ${authorization}`);
  const [, jwt, k] = m;
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  if (decodeProtectedHeader(jwt).alg !== 'ES256') throw new Error('VAPID JWT is not ES256');
  const key = await importJWK({ kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33)) }, 'ES256');
  const { payload } = await jwtVerify(jwt, key, { audience: origin });
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number' || payload.exp <= now || payload.exp > now + 24 * 3600) throw new Error('exp not within 24 h (RFC 8292 §2)');
  if (typeof payload.sub !== 'string' || !/^(mailto:|https:)/.test(payload.sub)) throw new Error('sub is not a mailto: or https: contact');
  return { aud: String(payload.aud), exp: payload.exp, sub: payload.sub, k };
}

export class WebPushService {
  readonly received: ReceivedPush[] = [];
  private readonly subs = new Map<string, TestSubscription>();
  private server!: Server;
  origin = '';
  /** The application server key subscriptions were made for: pushes signed with another key are refused (403). */
  applicationServerKey?: string;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on(
        'end',
        () =>
          void this.handle(req.url ?? '', req.method ?? '', req.headers, Buffer.concat(chunks)).then(({ status, headers, body }) =>
            res.writeHead(status, headers).end(body),
          ),
      );
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** A new subscription (as a browser's PushManager.subscribe would return), optionally with a response script. */
  subscribe(opts: { script?: ScriptedResponse[]; encrypted?: boolean } = {}): TestSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const authSecret = randomBytes(16);
    const id = randomUUID();
    const sub: TestSubscription = {
      id,
      endpoint: `${this.origin}/push/${id}`,
      p256dh: b64u(ecdh.getPublicKey()),
      auth: b64u(authSecret),
      ecdh,
      authSecret,
      script: [...(opts.script ?? [])],
      encrypted: opts.encrypted ?? true,
    };
    this.subs.set(id, sub);
    return sub;
  }

  pushesFor(sub: TestSubscription): ReceivedPush[] {
    return this.received.filter((r) => r.subscriptionId === sub.id);
  }

  private async handle(url: string, method: string, headers: IncomingHttpHeaders, body: Buffer): Promise<ScriptedResponse> {
    const id = /^\/push\/([0-9a-f-]+)$/.exec(url)?.[1];
    const sub = id ? this.subs.get(id) : undefined;
    if (method !== 'POST' || !sub) return { status: 404 };
    const push: ReceivedPush = { subscriptionId: sub.id, at: Date.now(), headers, payload: null };
    this.received.push(push);
    try {
      push.vapid = await checkVapid(headers.authorization, this.origin);
      if (this.applicationServerKey && push.vapid!.k !== this.applicationServerKey) {
        push.problem = 'VAPID key differs from the subscription key';
        return { status: 403 };
      }
      if (!/^\d+$/.test(String(headers.ttl ?? ''))) throw new Error('TTL header missing (RFC 8030 §5.2)');
      if (sub.encrypted) {
        if (headers['content-encoding'] !== 'aes128gcm') throw new Error(`Content-Encoding is ${headers['content-encoding']}`);
        push.payload = JSON.parse(decryptAes128gcm(body, sub.ecdh, sub.authSecret).toString('utf8'));
      } else {
        push.payload = JSON.parse(body.toString('utf8'));
      }
    } catch (e) {
      push.problem = (e as Error).message;
      return { status: 400, body: push.problem };
    }
    const scripted = sub.script.shift();
    if (scripted) return scripted;
    return { status: 201, headers: { location: `${this.origin}/message/${randomUUID()}` } };
  }
}
