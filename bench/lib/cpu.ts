/**
 * CPU time per process, read from /proc/<pid>/stat (utime + stime), to put each benchmark figure beside
 * what it cost: the load generator (this process, process.cpuUsage), the server child, and PostgreSQL (the
 * backends connected to the benchmark's database plus the shared background processes: WAL writer,
 * checkpointer, background writer, autovacuum). Background processes also serve other databases on a
 * shared server; on a quiet server they work for the benchmark.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type pg from 'pg';

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
const MS_PER_TICK = 1000 / clockTicks();

/** CPU milliseconds a process has used so far, or null once it is gone. */
export function cpuMsOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) may contain spaces and parentheses: fields after the last ')' are fixed
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * MS_PER_TICK;
}

const BACKGROUND = ['walwriter', 'checkpointer', 'background writer', 'autovacuum launcher', 'autovacuum worker'];

/** The PostgreSQL processes that work for `database` (see the module comment), excluding `db`'s own backend. */
async function postgresPids(db: pg.Client, database: string): Promise<number[]> {
  const r = await db.query<{ pid: number }>(
    `select pid from pg_stat_activity where pid <> pg_backend_pid() and (datname = $1 or backend_type = any($2::text[]))`,
    [database, BACKGROUND],
  );
  return r.rows.map((x) => x.pid);
}

export interface CpuSample {
  /** CPU ms of this process (the load generator). */
  loadgen: number;
  server: number;
  postgres: number;
}

export interface CpuMeterOptions {
  serverPid: () => number;
  /** A connection to the benchmark's database (for pg_stat_activity), or none when PostgreSQL is not in play. */
  db?: pg.Client;
  database?: string;
}

/** Measures CPU between start() and stop(); processes that appear in between count from zero. */
export class CpuMeter {
  private start0?: { loadgen: NodeJS.CpuUsage; server: number; pg: Map<number, number> };

  constructor(private readonly opts: CpuMeterOptions) {}

  private async pgSnapshot(): Promise<Map<number, number>> {
    const m = new Map<number, number>();
    if (!this.opts.db) return m;
    for (const pid of await postgresPids(this.opts.db, this.opts.database!)) {
      const ms = cpuMsOf(pid);
      if (ms != null) m.set(pid, ms);
    }
    return m;
  }

  async start(): Promise<void> {
    const pgNow = await this.pgSnapshot();
    this.start0 = { loadgen: process.cpuUsage(), server: cpuMsOf(this.opts.serverPid()) ?? 0, pg: pgNow };
  }

  async stop(): Promise<CpuSample> {
    const s = this.start0!;
    const pgNow = await this.pgSnapshot();
    const lg = process.cpuUsage(s.loadgen);
    let postgres = 0;
    for (const [pid, ms] of pgNow) postgres += ms - (s.pg.get(pid) ?? 0);
    return { loadgen: (lg.user + lg.system) / 1000, server: (cpuMsOf(this.opts.serverPid()) ?? 0) - s.server, postgres };
  }
}
