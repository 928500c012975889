// What a unit of work costs, in figures that hold on a shared machine: CPU-seconds of the
// processes doing it (from /proc) and bytes of PostgreSQL WAL written.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';
import { PG_ADMIN_URL } from './infra';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

function readStat(pid: string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces: the fields after it are split from the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const rest = text.slice(close + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, and 16-17 the same for
    // children it has reaped: a PostgreSQL backend that exits moves its time into the postmaster's.
    return { pid: Number(pid), ppid: Number(rest[1]), comm, ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * CPU-seconds used so far by this process and its descendants (the benchmark, its worker
 * processes) plus every PostgreSQL and Redis server process: everything that does the work.
 * A process that exits between two readings leaves its time in its parent's reaped-children
 * counters, which are counted too.
 */
export function cpuSeconds(): number {
  const stats = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(readStat).filter((s): s is Stat => s !== undefined);
  const ours = new Set([process.pid]);
  // Parents come before children often but not always: repeat until no new descendant appears.
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) {
      if (ours.has(s.pid) || !ours.has(s.ppid)) continue;
      ours.add(s.pid);
      grew = true;
    }
  }
  const ticks = stats.filter((s) => ours.has(s.pid) || s.comm === 'postgres' || s.comm === 'redis-server').reduce((sum, s) => sum + s.ticks, 0);
  return ticks / TICKS_PER_SECOND;
}

/** The server's current WAL position, and the bytes written since one. */
export async function walPosition(): Promise<string> {
  const c = new Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
  } finally {
    await c.end();
  }
}

export async function walBytesSince(lsn: string): Promise<number> {
  const c = new Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS n', [lsn])).rows[0].n);
  } finally {
    await c.end();
  }
}

/** Runs `work` and reports the CPU-seconds and WAL bytes it cost (whatever else runs on the server is counted too). */
export async function withCost<T>(work: () => Promise<T>): Promise<{ result: T; cpuSeconds: number; walBytes: number }> {
  const lsn = await walPosition();
  const cpu = cpuSeconds();
  const result = await work();
  return { result, cpuSeconds: cpuSeconds() - cpu, walBytes: await walBytesSince(lsn) };
}
