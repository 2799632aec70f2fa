/**
 * One HTTP/1.1 POST to a push service or an OAuth token endpoint, over pooled keep-alive connections, with a
 * deadline and a bounded response body. For client-supplied URLs (Web Push endpoints) `publicOnly` makes the
 * DNS lookup refuse names that resolve to private, loopback or link-local addresses (the SSRF check that
 * validation cannot do, since a public-looking name can point anywhere).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isNonPublicAddress } from './push-target.js';

/** Push services answer with small JSON bodies; anything past this is not read. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_SOCKETS_PER_HOST = 64;

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface PostOptions {
  headers: Record<string, string | number>;
  body?: Uint8Array | string | null;
  timeoutMs: number;
}

export class NonPublicAddressError extends Error {
  readonly code = 'ENONPUBLIC';
  constructor(host: string) {
    super(`${host} resolves to a non-public address`);
  }
}

const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const usable = addresses.filter((a) => !isNonPublicAddress(a.address));
    if (usable.length === 0) return callback(new NonPublicAddressError(hostname) as NodeJS.ErrnoException, '', 0);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
    callback(null, usable[0].address, usable[0].family);
  });
};

/** Keep-alive pools for one provider: POSTs with a deadline and a bounded answer. */
export class HttpPoster {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  /** `publicOnly`: refuse to connect to non-public addresses (for client-supplied URLs). */
  constructor(private readonly publicOnly: boolean) {
    const lookup = publicOnly ? publicLookup : undefined;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST, lookup } as http.AgentOptions);
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST, lookup } as https.AgentOptions);
  }

  post(url: string, opts: PostOptions): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      const host = u.hostname.replace(/^\[|\]$/g, '');
      // a literal address skips the lookup, so it is checked here
      if (this.publicOnly && isIP(host) && isNonPublicAddress(host)) return reject(new NonPublicAddressError(host));
      const body =
        opts.body == null
          ? undefined
          : typeof opts.body === 'string'
            ? Buffer.from(opts.body)
            : Buffer.from(opts.body.buffer, opts.body.byteOffset, opts.body.byteLength);
      const headers = { ...opts.headers, 'content-length': body?.length ?? 0 };
      const agent = secure ? this.httpsAgent : this.httpAgent;
      const req = (secure ? https : http).request(u, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(c.subarray(0, MAX_RESPONSE_BYTES - size));
          size += c.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      const timer = setTimeout(
        () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
        opts.timeoutMs,
      );
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end(body);
    });
  }

  /** Closes the pooled sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
