/**
 * Test-only front server: answers a few paths from memory (the test app) and reverse-proxies everything
 * else, HTTP requests and WebSocket upgrades alike, to the app server. So the page and the API share one
 * origin, as in a deployment with a static host and the API behind one reverse proxy, without a static
 * route in the product. The Host header goes through unchanged (as `proxy_set_header Host $host` would),
 * so the app sees the page's origin as its own.
 *
 * (A page answered by Playwright's request routing would not do: Chromium does not count such a document
 * as loopback, and its Local Network Access checks then block the WebSocket to 127.0.0.1.)
 */
import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';

export interface StaticFile {
  type: string;
  body: string | Uint8Array;
}

export interface StaticProxy {
  origin: string;
  close(): Promise<void>;
}

export async function startStaticProxy(target: string, files: Record<string, StaticFile>): Promise<StaticProxy> {
  const upstream = new URL(target);
  const port = Number(upstream.port);
  const tunnels = new Set<Socket>();

  const server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]];
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
      return;
    }
    const up = request({ host: upstream.hostname, port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (err) => {
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${err.message}`);
    });
    req.pipe(up);
  });

  server.on('upgrade', (req, client: Socket, head: Buffer) => {
    const up = connect(port, upstream.hostname, () => {
      let preamble = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) preamble += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(`${preamble}\r\n`);
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    for (const s of [client, up]) {
      tunnels.add(s);
      s.on('close', () => tunnels.delete(s));
    }
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of tunnels) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
