import type { DataSource } from 'typeorm';
import { resolveRetryPolicy } from './definition';
import { activityEntry, effectEntry, eventEntry, jobIds, timerEntry, type OutboxEntry } from './jobs';
import type { QueueSet } from './queues';
import type { DefinitionRegistry } from './registry';
import { query } from './sql';
import type { OutboxDispatcher } from './workflow-engine';

export interface RelayOptions {
  /** How long a committed row may stay undispatched before the sweeper re-sends it. */
  outboxGraceMs: number;
  /** An outstanding activity untouched this long has its BullMQ job checked. */
  staleActivityMs: number;
  /** A timer overdue by this much has its BullMQ job checked. */
  overdueTimerMs: number;
  /** How long a send to Redis may take before it is left to the sweeper. */
  redisTimeoutMs: number;
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

  private async bounded<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.options.redisTimeoutMs} ms`)), this.options.redisTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
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
   * only what has made no progress for a while and whose job is missing or dead.
   */
  private async resendOutstanding(scope: 'all' | 'stale'): Promise<number> {
    const stale = scope === 'stale';
    const activities = await query<any>(
      this.db,
      `SELECT a.id, a.workflow_id, a.child_id, a.src, a.input, a.attempts, a.idempotency_key, w.type, w.definition_version
         FROM activity a JOIN workflow_instance w ON w.id = a.workflow_id
        WHERE a.status = 'scheduled' AND a.kind = 'activity'
          ${stale ? `AND a.updated_at < now() - make_interval(secs => $1::float / 1000)` : ''}
        ORDER BY a.updated_at LIMIT 5000`,
      stale ? [this.options.staleActivityMs] : [],
    );
    const timers = await query<any>(
      this.db,
      `SELECT id, workflow_id, due_at FROM timer WHERE status = 'scheduled'
          ${stale ? `AND due_at < now() - make_interval(secs => $1::float / 1000)` : ''} ORDER BY due_at LIMIT 5000`,
      stale ? [this.options.overdueTimerMs] : [],
    );
    const effects = await query<any>(
      this.db,
      `SELECT e.id, e.workflow_id, e.name, e.params, e.attempts, e.idempotency_key, w.type, w.definition_version
         FROM effect e JOIN workflow_instance w ON w.id = e.workflow_id
        WHERE e.status = 'pending' ${stale ? `AND e.created_at < now() - make_interval(secs => $1::float / 1000)` : ''}
        ORDER BY e.created_at LIMIT 5000`,
      stale ? [this.options.staleActivityMs] : [],
    );
    const entries: OutboxEntry[] = [];
    for (const a of activities) {
      const def = this.registry.get(a.type, a.definition_version);
      const policy = resolveRetryPolicy(def.activities?.[a.src]?.retry);
      entries.push(
        activityEntry(
          { workflowId: a.workflow_id, invocationId: a.id, type: a.type, version: a.definition_version, src: a.src, activityId: a.child_id, input: a.input, idempotencyKey: a.idempotency_key, attemptsBefore: a.attempts },
          policy.maximumAttempts,
        ),
      );
    }
    for (const t of timers) entries.push(timerEntry({ workflowId: t.workflow_id, timerId: t.id, dueAt: new Date(t.due_at).getTime() }, t.due_at));
    for (const e of effects) {
      const def = this.registry.get(e.type, e.definition_version);
      const policy = resolveRetryPolicy(def.effects?.[e.name]?.retry);
      entries.push(
        effectEntry(
          { workflowId: e.workflow_id, effectId: e.id, type: e.type, version: e.definition_version, name: e.name, params: e.params, idempotencyKey: e.idempotency_key, attemptsBefore: e.attempts },
          policy.maximumAttempts,
        ),
      );
    }
    entries.push(...(await this.childNotifications(stale)));
    const missing = stale ? await this.withoutLiveJob(entries) : entries;
    if (missing.length > 0) await this.send(missing);
    if (stale && activities.length > 0) {
      await query(this.db, `UPDATE activity SET updated_at = now() WHERE id = ANY($1::uuid[]) AND status = 'scheduled'`, [activities.map((a) => a.id)]);
    }
    return missing.length;
  }

  /**
   * Child workflows whose parent has not heard of their end, and children of a stopped
   * invocation still running: the `events` jobs that tell them, re-derived from the tables.
   */
  private async childNotifications(stale: boolean): Promise<OutboxEntry[]> {
    const age = stale ? `AND c.updated_at < now() - make_interval(secs => $1::float / 1000)` : '';
    const params = stale ? [this.options.staleActivityMs] : [];
    const finished = await query<any>(
      this.db,
      `SELECT a.id, a.workflow_id, c.id AS child_id, c.status, c.output, c.error FROM activity a
         JOIN workflow_instance c ON c.id = a.child_workflow_id
        WHERE a.kind = 'workflow' AND a.status = 'scheduled' AND c.status IN ('completed', 'failed', 'cancelled') ${age} LIMIT 5000`,
      params,
    );
    const orphaned = await query<any>(
      this.db,
      `SELECT a.id, a.workflow_id, c.id AS child_id FROM activity a
         JOIN workflow_instance c ON c.id = a.child_workflow_id
        WHERE a.kind = 'workflow' AND a.status = 'cancelled' AND c.status IN ('running', 'waiting') ${age} LIMIT 5000`,
      params,
    );
    return [
      ...finished.map((f) =>
        eventEntry(f.child_id, jobIds.childFinished(f.id), {
          op: 'child.finished',
          parentId: f.workflow_id,
          invocationId: f.id,
          childWorkflowId: f.child_id,
          outcome: f.status === 'completed' ? { status: 'completed', output: f.output } : { status: f.status, error: f.error ?? { name: 'WorkflowCancelled', message: 'child workflow was cancelled' } },
        }),
      ),
      ...orphaned.map((o) => eventEntry(o.workflow_id, jobIds.childCancel(o.id), { op: 'child.cancel', childWorkflowId: o.child_id, parentId: o.workflow_id })),
    ];
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
