import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { query } from '../engine/store/sql';
import type { WorkflowQueries } from '../persistence/workflow-queries';

export interface ScrapeSources {
  dataSource: DataSource;
  queries: WorkflowQueries;
  queues: Record<string, Queue>;
  /** Told once when a source stops answering, and once when it answers again. */
  log: (message: string, fields: Record<string, unknown>) => void;
}

/** BullMQ job states worth watching: a backlog (waiting, delayed), work in hand (active), dead letters (failed). */
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/** A scrape must answer even when Redis does not: the engine's connection queues commands while it reconnects. */
const QUEUE_TIMEOUT_MS = 2000;

/**
 * Gauges read from PostgreSQL and Redis when Prometheus scrapes, not kept in memory: they
 * describe the whole deployment, so every process reports the same values (aggregate them
 * with max, not sum). A source that fails leaves its gauges empty for that scrape.
 */
export function registerScrapeGauges(registry: Registry, sources: ScrapeSources): void {
  const health = sourceHealth(sources.log);
  const registers = [registry];

  const outbox = perScrape(async () => {
    const [row] = await query<{ pending: string; lag: string | null }>(
      sources.dataSource,
      `SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at)) AS lag FROM outbox WHERE dispatched_at IS NULL`,
    );
    return { pending: Number(row?.pending ?? 0), lag: Math.max(0, Number(row?.lag ?? 0)) };
  });
  new Gauge({
    name: 'statera_outbox_lag_seconds',
    help: 'Age of the oldest outbox row not yet handed to BullMQ (0 when none): effects committed but not yet dispatched',
    registers,
    async collect() {
      const v = await health('postgres', outbox);
      if (v) this.set(v.lag);
    },
  });
  new Gauge({
    name: 'statera_outbox_pending',
    help: 'Outbox rows not yet handed to BullMQ',
    registers,
    async collect() {
      const v = await health('postgres', outbox);
      if (v) this.set(v.pending);
    },
  });

  new Gauge({
    name: 'statera_queue_jobs',
    help: 'Jobs in each engine queue by BullMQ state',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      const counts = await health('redis', () =>
        withTimeout(Promise.all(Object.entries(sources.queues).map(async ([name, q]) => [name, await q.getJobCounts(...JOB_STATES)] as const)), QUEUE_TIMEOUT_MS),
      );
      for (const [queue, byState] of counts ?? []) for (const state of JOB_STATES) this.set({ queue, state }, byState[state] ?? 0);
    },
  });

  const tasks = perScrape(() =>
    query<{ grp: string; open: string; overdue: string }>(
      sources.dataSource,
      `SELECT g AS grp, count(*) AS open, count(*) FILTER (WHERE t.overdue OR t.due_at < now()) AS overdue
         FROM human_task t CROSS JOIN LATERAL unnest(t.candidate_groups) AS g
        WHERE t.status = 'open' GROUP BY g`,
    ),
  );
  for (const [name, help, field] of [
    ['statera_human_tasks_open', 'Open human tasks by candidate group (a task of two groups counts in each)', 'open'],
    ['statera_human_tasks_overdue', 'Open human tasks past their due time by candidate group', 'overdue'],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['group'],
      registers,
      async collect() {
        this.reset();
        for (const r of (await health('postgres', tasks)) ?? []) this.set({ group: r.grp }, Number(r[field]));
      },
    });
  }

  new Gauge({
    name: 'statera_sla_overdue_workflows',
    help: 'Running or waiting instances in a state for longer than its SLA (meta.sla), by type and state',
    labelNames: ['type', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const r of (await health('postgres', () => sources.queries.overdueCounts())) ?? []) this.set({ type: r.type, state: r.state }, r.count);
    },
  });

  new Gauge({
    name: 'statera_incidents_open',
    help: 'Open incidents (an input the engine could not apply, kept for an operator to retry or resolve), by type and kind',
    labelNames: ['type', 'kind'],
    registers,
    async collect() {
      this.reset();
      for (const r of (await health('postgres', () => sources.queries.incidentCounts())) ?? []) this.set({ type: r.type, kind: r.kind }, r.count);
    },
  });

  new Gauge({
    name: 'statera_workflows_paused',
    help: 'Workflows an operator paused, by type',
    labelNames: ['type'],
    registers,
    async collect() {
      this.reset();
      for (const r of (await health('postgres', () => sources.queries.pausedCounts())) ?? []) this.set({ type: r.type }, r.count);
    },
  });

  new Gauge({
    name: 'statera_activities_retrying',
    help: 'Activities that failed and are still retrying after ACTIVITY_RETRY_ALERT_MS, by type and activity',
    labelNames: ['type', 'activity'],
    registers,
    async collect() {
      this.reset();
      for (const r of (await health('postgres', () => sources.queries.retryingCounts())) ?? []) this.set({ type: r.type, activity: r.activity }, r.count);
    },
  });
}

/**
 * One query for the gauges that share it within one scrape: prom-client collects every
 * metric at once, so the second gauge finds the first one's query still in flight.
 */
function perScrape<T>(load: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

function sourceHealth(log: ScrapeSources['log']) {
  const down = new Set<string>();
  return async <T>(source: string, load: () => Promise<T>): Promise<T | undefined> => {
    try {
      const value = await load();
      if (down.delete(source)) log('metrics source answers again', { source });
      return value;
    } catch (err) {
      if (!down.has(source)) log('metrics source failed; its gauges are left out', { source, error: (err as Error).message });
      down.add(source);
      return undefined;
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
