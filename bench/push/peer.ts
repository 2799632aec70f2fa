/**
 * The loopback RFC 8030 push service of bench/push.ts, in a process of its own (its VAPID checks and RFC 8291
 * decryption are the push service's work, not the server's): test/server/push/peers/web-push-service.ts
 * behind a small control API. Prints `{"port":<control port>}` once listening.
 *   GET /subscribe -> { endpoint, p256dh, auth }     a new subscription
 *   GET /stats     -> { received, problems, payloads } pushes so far, refused ones, distinct payloads
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebPushService } from '../../test/server/push/peers/web-push-service.js';

const service = await new WebPushService().start();
service.applicationServerKey = process.env.VAPID_PUBLIC_KEY;
const control = createServer((req, res) => {
  if (req.url === '/subscribe') {
    const s = service.subscribe();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth }));
  } else if (req.url === '/stats') {
    const payloads = [...new Set(service.received.map((r) => JSON.stringify(r.payload)))];
    const problems = service.received.filter((r) => r.problem).length;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: service.received.length, problems, payloads }));
  } else res.writeHead(404).end();
});
control.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (control.address() as AddressInfo).port })));
process.once('SIGTERM', () => {
  control.close();
  void service.stop().then(() => process.exit(0));
});
