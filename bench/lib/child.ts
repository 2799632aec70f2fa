/**
 * Child processes of the benchmarks (this server from src/server/main.ts, the bare floor): spawned as
 * `node --import tsx <script>` so that the pid is the process doing the work, ready once they print a JSON
 * line with `port` (the server's pino "listening" line, the floor's own). Supervised: a child that exits
 * when nobody asked it to is fatal to the run, with its last output lines (BENCH_CHILD_LOG=<path> also copies each
 * child's whole output to <path>.<pid>). SERVER_NODE_ARGS (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to every child, to profile it under load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fatal, onCleanup } from './run.js';

const TAIL_LINES = 30;
const START_TIMEOUT_MS = 60_000;

export interface Child {
  name: string;
  pid: number;
  port: number;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Resident set size, bytes (0 once exited). */
  rss(): number;
}

export interface SpawnOptions {
  name: string;
  script: string;
  env: Record<string, string>;
  /** Extra node arguments before SERVER_NODE_ARGS. */
  nodeArgs?: string[];
  /** false: run `script` as plain JavaScript, without the tsx loader. */
  tsx?: boolean;
  /** Every output line (stdout and stderr), for a child that reports more than its port. */
  onLine?: (line: string) => void;
}

/** Resident set size of a process, bytes (0 if it is gone). */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** A TCP port that was free a moment ago (for a child that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function spawnChild(opts: SpawnOptions): Promise<Child> {
  const extra = process.env.SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const loader = opts.tsx === false ? [] : ['--import', 'tsx'];
  const proc: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...extra, ...loader, opts.script], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  let expectedExit = false;
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    name: opts.name,
    pid: proc.pid!,
    port: 0,
    async stop(graceMs = 10_000) {
      if (exited) return;
      expectedExit = true;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exitPromise;
      clearTimeout(t);
    },
    async kill9() {
      if (exited) return;
      expectedExit = true;
      proc.kill('SIGKILL');
      await exitPromise;
    },
    rss: () => (exited ? 0 : rssOf(proc.pid!)),
  };
  const unregister = onCleanup(() => child.stop(2000));

  return new Promise<Child>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      if (!ready) reject(new Error(`${opts.name} did not start within ${START_TIMEOUT_MS / 1000} s:\n${tail.join('\n')}`));
    }, START_TIMEOUT_MS);
    const onLine = (line: string) => {
      opts.onLine?.(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (ready || !line.startsWith('{')) return;
      try {
        const j = JSON.parse(line);
        if (typeof j.port === 'number') {
          ready = true;
          clearTimeout(timer);
          child.port = j.port;
          resolve(child);
        }
      } catch {
        // not JSON
      }
    };
    const copy = process.env.BENCH_CHILD_LOG ? createWriteStream(`${process.env.BENCH_CHILD_LOG}.${proc.pid}`) : undefined;
    for (const stream of [proc.stdout!, proc.stderr!]) {
      let buf = '';
      stream.on('data', (d: Buffer) => {
        copy?.write(d);
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
    }
    proc.once('exit', (code, signal) => {
      exited = true;
      unregister();
      if (expectedExit) return;
      const msg = `${opts.name} (pid ${proc.pid}) exited unexpectedly (${signal ?? `status ${code}`}); its last output:\n${tail.join('\n')}`;
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(msg));
      } else fatal(msg);
    });
  });
}
