/** Targets for the e2e benchmark: the bare floor (ws + pg) and this server (GraphQL over graphql-ws). */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import WebSocket from 'ws';
import type { SimDevice, Target } from './loadgen.js';

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** Spawns `tsx <script>` and resolves once it prints a JSON line with `port`. */
export function spawnServer(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        try {
          const j = JSON.parse(line);
          if (typeof j.port === 'number') {
            child.stdout!.off('data', onData);
            child.stdout!.resume();
            resolve({ child, port: j.port });
            return;
          }
        } catch {
          // not a JSON line yet
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function floorTarget(databaseUrl: string): Promise<Target> {
  const { child, port } = await spawnServer('bench/e2e/floor-server.ts', { DATABASE_URL: databaseUrl });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  return {
    name: 'floor: ws + pg (one CTE per message)',
    async connect(index, onEnvelope): Promise<SimDevice> {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?device=${index}`);
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      let seq = 0;
      const waiting = new Map<number, () => void>();
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.t === 'sent') {
          waiting.get(m.id)?.();
          waiting.delete(m.id);
        } else if (m.t === 'env') onEnvelope(m.id, new Uint8Array(Buffer.from(m.payload, 'base64')));
      });
      return {
        send(to, payload) {
          const id = ++seq;
          return new Promise<void>((resolve) => {
            waiting.set(id, resolve);
            ws.send(JSON.stringify({ t: 'send', id, to, payload: Buffer.from(payload).toString('base64') }));
          });
        },
        ack(ids) {
          ws.send(JSON.stringify({ t: 'ack', ids }));
        },
        async close() {
          ws.close();
        },
      };
    },
    serverRss: () => rssOf(child.pid!),
    async pendingEnvelopes() {
      return Number((await db.query('select count(*)::int as n from floor_envelopes')).rows[0].n);
    },
    async stop() {
      await db.query('drop table if exists floor_envelopes, floor_messages');
      await db.end();
      await stopChild(child);
    },
  };
}
