import type { DataSource } from 'typeorm';
import { resolveRetryPolicy } from '../definition/definition';
import { activityEntry, effectEntry, eventEntry, jobIds, timerEntry, type ActivityJob, type OutboxEntry } from '../store/jobs';
import { withinMs, type QueueSet } from './queues';
import type { WorkflowDefinition } from '../definition/definition';
import type { DefinitionRegistry } from '../definition/registry';
import { query } from '../store/sql';

/** Outstanding rows re-sent per query: the sweep pages through all of them. */
const RESEND_PAGE = 1000;
import type { OutboxDispatcher } from '../loop/workflow-engine';

export interface RelayOptions {
  /** How long a committed row may stay undispatched before the sweeper re-sends it. */
  outboxGraceMs: number;
  /** An outstanding activity untouched this long has its BullMQ job checked. */
  staleActivityMs: number;
  /** A timer overdue by this much has its BullMQ job checked. */
  overdueTimerMs: number;
  /** How long a send to Redis may take before it is left to the sweeper. */
  redisTimeoutMs: number;
  /**
   * An outstanding activity whose attempts are all spent (its last outcome was never recorded):
   * not re-sent, handed here to open an incident instead.
   */
  spent?: (job: ActivityJob, lastError: unknown) => Promise<void>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface SweepReport {
  redispatched: number;
  recovered: number;
}

/**
 * Hands committed outbox rows to BullMQ, and repairs BullMQ from PostgreSQL: rows a crash
 * left undispatched are re-sent, and when Redis lost its data (its epoch key is gone) every
 * outstanding activity, timer and effect is sent again. Job ids make both harmless.
 */
export class OutboxRelay implements OutboxDispatcher {
  private readonly sent: string[] = [];
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DataSource,
    private readonly queues: QueueSet,
    private readonly registry: DefinitionRegistry,
    private readonly options: RelayOptions,
  ) {}

  private get epochKey(): string {
    return `${this.queues.prefix}:engine:epoch`;
  }

  async dispatchCommitted(rows: (OutboxEntry & { id: string })[]): Promise<void> {
    try {
      await this.send(rows);
      this.markSent(rows.map((r) => r.id));
    } catch (err) {
      // The transition is committed; the sweeper sends these rows once Redis answers again.
      this.options.log('outbox dispatch deferred to the sweeper', { error: (err as Error).message, rows: rows.length });
    }
  }

  /**
   * Rows sent to BullMQ are marked in batches, one UPDATE for every few milliseconds of
   * traffic instead of one per transaction. A mark lost to a crash only means the sweeper
   * sends the row again after the grace period, which the job id makes a no-op.
   */
  private markSent(ids: string[]): void {
    this.sent.push(...ids);
    if (this.sent.length >= 500) void this.flushSent();
    else this.flushTimer ??= setTimeout(() => void this.flushSent(), 20);
  }

  /** Writes the pending marks now (at shutdown, and before the sweeper reads the outbox). */
  flushSent(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.sent.splice(0);
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.markDispatched(ids).then(
        () => undefined,
        (err) => this.options.log('outbox marks deferred to the sweeper', { error: (err as Error).message, rows: ids.length }),
      ),
    );
    return this.flushing;
  }

  private async markDispatched(ids: string[]): Promise<void> {
    await query(this.db, 'UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])', [ids]);
  }

  /** Sends to BullMQ, giving up after a bound: a Redis that does not answer must not hold a request or a transaction. */
  private send(entries: readonly OutboxEntry[]): Promise<void> {
    return this.bounded(this.queues.apply(entries));
  }

  private bounded<T>(call: Promise<T>): Promise<T> {
    return withinMs(call, this.options.redisTimeoutMs, 'Redis did not answer');
  }

  /** Marks this Redis as known to hold every job; its absence later means Redis lost data. */
  async markEpoch(): Promise<void> {
    await this.bounded(this.queues.connection.set(this.epochKey, new Date().toISOString()));
  }

  async sweep(): Promise<SweepReport> {
    await this.flushSent();
    const redispatched = await this.redispatchPending();
    let recovered: number;
    if (!(await this.bounded(this.queues.connection.exists(this.epochKey)))) {
      recovered = await this.resendOutstanding('all');
      await this.markEpoch();
      if (recovered > 0) this.options.log('redis had lost the engine epoch: outstanding work re-sent', { recovered });
    } else {
      recovered = await this.resendOutstanding('stale');
    }
    await query(this.db, 'DELETE FROM idempotency_key WHERE ctid IN (SELECT ctid FROM idempotency_key WHERE expires_at < now() LIMIT 1000)');
    return { redispatched, recovered };
  }

  /** Rows a crash or an unreachable Redis left undispatched. Redis is called outside any transaction. */
  private async redispatchPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await query<{ id: string; workflow_id: string; queue: any; op: any; job_id: string; payload: any; run_at: Date }>(
        this.db,
        `SELECT id, workflow_id, queue, op, job_id, payload, run_at FROM outbox
          WHERE dispatched_at IS NULL AND created_at < now() - make_interval(secs => $1::float / 1000)
          ORDER BY id LIMIT 500`,
        [this.options.outboxGraceMs],
      );
      if (rows.length === 0) return total;
      // Two sweepers may send the same rows: job ids make the second send a no-op.
      await this.send(rows.map((r) => ({ workflowId: r.workflow_id, queue: r.queue, op: r.op, jobId: r.job_id, payload: r.payload, runAt: r.run_at })));
      await this.markDispatched(rows.map((r) => r.id));
      total += rows.length;
      if (rows.length < 500) return total;
    }
  }

  /**
   * Re-sends outstanding work from the database. `all` after Redis lost its data; `stale`
   * only what has made no progress for a while and whose job is missing or dead. Pages
   * through every outstanding row (keyset, RESEND_PAGE at a time), and a row of a definition
   * this process does not register is skipped and counted, not allowed to stop the sweep for
   * everyone else.
   */
  private async resendOutstanding(scope: 'all' | 'stale'): Promise<number> {
    const stale = scope === 'stale';
    const skipped = new Map<string, number>();
    /** The entry for a row, or nothing (counted) when its definition is not registered here. */
    const entryOf = <R extends { type: string; definition_version: number }>(row: R, make: (def: WorkflowDefinition) => OutboxEntry | null): OutboxEntry[] => {
      let def: WorkflowDefinition;
      try {
        def = this.registry.get(row.type, row.definition_version);
      } catch {
        const key = `${row.type}@${row.definition_version}`;
        skipped.set(key, (skipped.get(key) ?? 0) + 1);
        return [];
      }
      const entry = make(def);
      return entry ? [entry] : [];
    };
    let sent = 0;
    const resend = async (entries: OutboxEntry[]) => {
      const missing = stale ? await this.withoutLiveJob(entries) : entries;
      if (missing.length > 0) await this.send(missing);
      sent += missing.length;
    };
    const staleParam = (ms: number) => (stale ? [ms] : []);

    await this.pages<any>(
      `SELECT a.id, a.workflow_id, a.child_id, a.src, a.input, a.attempts, a.attempt_limit, a.last_error, a.idempotency_key, a.updated_at::text AS k1, w.type, w.definition_version
         FROM activity a JOIN workflow_instance w ON w.id = a.workflow_id
        WHERE a.status = 'scheduled' AND a.kind = 'activity'
          -- One leased to a process that runs it eagerly has no job: left alone until the lease lapses.
          ${stale ? `AND CASE WHEN a.lease_until IS NULL THEN a.updated_at < now() - make_interval(secs => $1::float / 1000) ELSE a.lease_until < now() END` : 'AND (a.lease_until IS NULL OR a.lease_until < now())'}
          AND (a.updated_at, a.id) > ($K1::timestamptz, $K2::uuid)
        ORDER BY a.updated_at, a.id`,
      staleParam(this.options.staleActivityMs),
      async (activities) => {
        const spent: { job: ActivityJob; lastError: unknown }[] = [];
        await resend(
          activities.flatMap((a) =>
            entryOf(a, (def) => {
              const limit: number = a.attempt_limit ?? resolveRetryPolicy(def.activities?.[a.src]?.retry).maximumAttempts;
              const job: ActivityJob = { workflowId: a.workflow_id, invocationId: a.id, type: a.type, version: a.definition_version, src: a.src, activityId: a.child_id, input: a.input, idempotencyKey: a.idempotency_key, attemptsBefore: a.attempts, ...(a.attempt_limit ? { attemptLimit: a.attempt_limit } : {}) };
              // Every attempt of its budget ran: another set would call the partner again, forever.
              if (a.attempts >= limit) {
                spent.push({ job, lastError: a.last_error });
                return null;
              }
              return activityEntry(job, limit);
            }),
          ),
        );
        for (const x of spent) await this.options.spent?.(x.job, x.lastError);
        // A lapsed lease is over: the activity is BullMQ's from here.
        await query(this.db, `UPDATE activity SET updated_at = now(), lease_until = NULL WHERE id = ANY($1::uuid[]) AND status = 'scheduled'`, [activities.map((a) => a.id)]);
      },
    );
    await this.pages<any>(
      `SELECT id, workflow_id, due_at, due_at::text AS k1 FROM timer WHERE status = 'scheduled'
          ${stale ? `AND due_at < now() - make_interval(secs => $1::float / 1000)` : ''}
          AND (due_at, id) > ($K1::timestamptz, $K2::uuid)
        ORDER BY due_at, id`,
      staleParam(this.options.overdueTimerMs),
      (timers) => resend(timers.map((t) => timerEntry({ workflowId: t.workflow_id, timerId: t.id, dueAt: new Date(t.due_at).getTime() }, t.due_at))),
    );
    await this.pages<any>(
      `SELECT e.id, e.workflow_id, e.name, e.params, e.attempts, e.idempotency_key, e.created_at::text AS k1, w.type, w.definition_version
         FROM effect e JOIN workflow_instance w ON w.id = e.workflow_id
        WHERE e.status = 'pending' ${stale ? `AND e.created_at < now() - make_interval(secs => $1::float / 1000)` : ''}
          AND (e.created_at, e.id) > ($K1::timestamptz, $K2::uuid)
        ORDER BY e.created_at, e.id`,
      staleParam(this.options.staleActivityMs),
      async (effects) =>
        resend(
          effects.flatMap((e) =>
            entryOf(e, (def) =>
              effectEntry(
                { workflowId: e.workflow_id, effectId: e.id, type: e.type, version: e.definition_version, name: e.name, params: e.params, idempotencyKey: e.idempotency_key, attemptsBefore: e.attempts },
                resolveRetryPolicy(def.effects?.[e.name]?.retry).maximumAttempts,
              ),
            ),
          ),
        ),
    );
    await this.childNotifications(stale, resend);
    if (skipped.size > 0) {
      this.options.log('outstanding work of definitions this process does not register was not re-sent', { skipped: Object.fromEntries(skipped) });
    }
    return sent;
  }

  /**
   * Runs `sql` page by page over the whole result: it must select `k1` (the first ordering
   * column, as PostgreSQL's own text so its microseconds survive) and `id` (the second), and
   * compare them with `$K1` and `$K2`, which this fills.
   */
  private async pages<R extends { id: string; k1: string }>(sql: string, params: unknown[], each: (rows: R[]) => Promise<unknown>): Promise<void> {
    const k1 = `$${params.length + 1}`;
    const k2 = `$${params.length + 2}`;
    const paged = `${sql.replaceAll('$K1', k1).replaceAll('$K2', k2)} LIMIT $${params.length + 3}`;
    let after: [string, string] = ['-infinity', '00000000-0000-0000-0000-000000000000'];
    for (;;) {
      const rows = await query<R>(this.db, paged, [...params, after[0], after[1], RESEND_PAGE]);
      if (rows.length > 0) await each(rows);
      if (rows.length < RESEND_PAGE) return;
      const last = rows[rows.length - 1]!;
      after = [last.k1, last.id];
    }
  }

  /**
   * Child workflows whose parent has not heard of their end, and children of a stopped
   * invocation still running: the `events` jobs that tell them, re-derived from the tables.
   */
  private async childNotifications(stale: boolean, resend: (entries: OutboxEntry[]) => Promise<void>): Promise<void> {
    const age = stale ? `AND c.updated_at < now() - make_interval(secs => $1::float / 1000)` : '';
    const params = stale ? [this.options.staleActivityMs] : [];
    await this.pages<any>(
      `SELECT a.id, a.created_at::text AS k1, a.workflow_id, c.id AS child_id, c.status, c.output, c.error FROM activity a
         JOIN workflow_instance c ON c.id = a.child_workflow_id
        WHERE a.kind = 'workflow' AND a.status = 'scheduled' AND c.status IN ('completed', 'failed', 'cancelled', 'terminated') ${age}
          AND (a.created_at, a.id) > ($K1::timestamptz, $K2::uuid)
        ORDER BY a.created_at, a.id`,
      params,
      (finished) =>
        resend(
          finished.map((f) =>
            eventEntry(f.child_id, jobIds.childFinished(f.id), {
              op: 'child.finished',
              parentId: f.workflow_id,
              invocationId: f.id,
              childWorkflowId: f.child_id,
              outcome: f.status === 'completed' ? { status: 'completed', output: f.output } : { status: f.status === 'cancelled' ? 'cancelled' : 'failed', error: f.error ?? { name: 'WorkflowCancelled', message: 'child workflow was cancelled' } },
            }),
          ),
        ),
    );
    await this.pages<any>(
      `SELECT a.id, a.created_at::text AS k1, a.workflow_id, c.id AS child_id FROM activity a
         JOIN workflow_instance c ON c.id = a.child_workflow_id
        WHERE a.kind = 'workflow' AND a.status = 'cancelled' AND c.status IN ('running', 'waiting', 'paused') ${age}
          AND (a.created_at, a.id) > ($K1::timestamptz, $K2::uuid)
        ORDER BY a.created_at, a.id`,
      params,
      (orphaned) => resend(orphaned.map((o) => eventEntry(o.workflow_id, jobIds.childCancel(o.id), { op: 'child.cancel', childWorkflowId: o.child_id, parentId: o.workflow_id }))),
    );
  }

  /** Keeps the entries whose job is gone from Redis; a job that failed outside the engine's hands is retried. */
  private async withoutLiveJob(entries: OutboxEntry[]): Promise<OutboxEntry[]> {
    const missing: OutboxEntry[] = [];
    for (const e of entries) {
      const queue = this.queues.queues[e.queue];
      const state = await this.bounded(queue.getJobState(e.jobId));
      if (state === 'unknown') missing.push(e);
      else if (state === 'failed' || state === 'completed') {
        await queue.remove(e.jobId).catch(() => 0);
        missing.push(e);
      }
    }
    return missing;
  }
}
