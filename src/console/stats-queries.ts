import type { DataSource } from 'typeorm';
import { query } from '../engine/store/sql';

export const THROUGHPUT_MINUTES = 60;

export interface Overview {
  generatedAt: string;
  /** Instances per type and status, every type that has one. */
  counts: { type: string; status: string; count: number }[];
  /** Ended instances per type and business outcome (success, rejection, failure, cancelled). */
  outcomes: { type: string; outcome: string; count: number }[];
  /** Per-minute buckets over the last hour, oldest first: `minutes[i]` is the bucket's start. */
  throughput: { minutes: string[]; started: number[]; completed: number[]; failed: number[] };
  /** Open and overdue human tasks (of the caller's groups, for a reviewer). */
  tasks: { open: number; overdue: number };
  /** Open incidents: how many, and by type and kind. */
  incidents: { open: number; byKind: { type: string; kind: string; count: number }[] };
}

/** Read side of the console's overview: aggregates, never rows. */
export class StatsQueries {
  /** Every open console polls the overview; within this long they share one set of queries. */
  private static readonly FRESH_MS = 2000;
  private readonly recent = new Map<string, { at: number; value: Promise<Overview> }>();

  constructor(private readonly db: DataSource) {}

  /** One tenant's overview (a reviewer's: their groups' tasks only). */
  overview(tenant: string, visibleToGroups?: string[]): Promise<Overview> {
    const key = JSON.stringify([tenant, visibleToGroups ?? null]);
    const hit = this.recent.get(key);
    if (hit && Date.now() - hit.at < StatsQueries.FRESH_MS) return hit.value;
    const value = this.load(tenant, visibleToGroups);
    this.recent.set(key, { at: Date.now(), value });
    value.catch(() => this.recent.delete(key));
    // Old entries of groups nobody asks for any more go with the next miss.
    for (const [k, v] of this.recent) if (Date.now() - v.at >= StatsQueries.FRESH_MS && k !== key) this.recent.delete(k);
    return value;
  }

  private async load(tenant: string, visibleToGroups?: string[]): Promise<Overview> {
    // One clock for every bucket: the database's, so API processes with skewed clocks agree.
    const [{ now, since }] = await query<{ now: Date; since: Date }>(
      this.db,
      `SELECT now() AS now, date_trunc('minute', now()) - make_interval(mins => $1) AS since`,
      [THROUGHPUT_MINUTES - 1],
    );
    const [counts, outcomes, started, ended, tasks, incidents] = await Promise.all([
      query<{ type: string; status: string; count: string }>(this.db, 'SELECT type, status, count(*) AS count FROM workflow_instance WHERE tenant = $1 GROUP BY type, status ORDER BY type, status', [tenant]),
      query<{ type: string; outcome: string; count: string }>(
        this.db,
        'SELECT type, outcome, count(*) AS count FROM workflow_instance WHERE tenant = $1 AND outcome IS NOT NULL GROUP BY type, outcome ORDER BY type, outcome',
        [tenant],
      ),
      query<{ minute: Date; count: string }>(this.db, `SELECT date_trunc('minute', created_at) AS minute, count(*) AS count FROM workflow_instance WHERE tenant = $2 AND created_at >= $1 GROUP BY 1`, [since, tenant]),
      query<{ minute: Date; status: string; count: string }>(
        this.db,
        `SELECT date_trunc('minute', ended_at) AS minute, status, count(*) AS count FROM workflow_instance
          WHERE tenant = $2 AND ended_at >= $1 AND status IN ('completed', 'failed') GROUP BY 1, 2`,
        [since, tenant],
      ),
      query<{ open: string; overdue: string }>(
        this.db,
        `SELECT count(*) AS open, count(*) FILTER (WHERE overdue OR due_at < now()) AS overdue FROM human_task
          WHERE tenant = $2 AND status = 'open' AND ($1::text[] IS NULL OR candidate_groups && $1::text[])`,
        [visibleToGroups ?? null, tenant],
      ),
      query<{ type: string; kind: string; count: string }>(
        this.db,
        `SELECT type, kind, count(*) AS count FROM incident WHERE tenant = $1 AND status = 'open' GROUP BY type, kind ORDER BY type, kind`,
        [tenant],
      ),
    ]);
    const start = new Date(since).getTime();
    const minutes = Array.from({ length: THROUGHPUT_MINUTES }, (_, i) => new Date(start + i * 60_000).toISOString());
    const series = () => new Array<number>(THROUGHPUT_MINUTES).fill(0);
    const throughput = { minutes, started: series(), completed: series(), failed: series() };
    const bucket = (at: Date) => Math.round((new Date(at).getTime() - start) / 60_000);
    for (const r of started) {
      const i = bucket(r.minute);
      if (i >= 0 && i < THROUGHPUT_MINUTES) throughput.started[i] += Number(r.count);
    }
    for (const r of ended) {
      const i = bucket(r.minute);
      if (i >= 0 && i < THROUGHPUT_MINUTES) throughput[r.status as 'completed' | 'failed'][i] += Number(r.count);
    }
    return {
      generatedAt: new Date(now).toISOString(),
      counts: counts.map((r) => ({ type: r.type, status: r.status, count: Number(r.count) })),
      outcomes: outcomes.map((r) => ({ type: r.type, outcome: r.outcome, count: Number(r.count) })),
      throughput,
      tasks: { open: Number(tasks[0]?.open ?? 0), overdue: Number(tasks[0]?.overdue ?? 0) },
      incidents: {
        open: incidents.reduce((n, r) => n + Number(r.count), 0),
        byKind: incidents.map((r) => ({ type: r.type, kind: r.kind, count: Number(r.count) })),
      },
    };
  }
}
