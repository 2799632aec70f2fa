/**
 * The client's address, for per-address rate limits: the socket's peer, or, behind TRUST_PROXY_HOPS reverse
 * proxies that each append to X-Forwarded-For, the address the outermost trusted proxy saw. Entries to the left
 * of that one are whatever the client claimed, and are ignored.
 */
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage | undefined, trustProxyHops: number): string {
  const peer = req?.socket?.remoteAddress ?? 'unknown';
  if (!req || trustProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (hops.length === 0) return peer;
  return hops[Math.max(0, hops.length - trustProxyHops)];
}
