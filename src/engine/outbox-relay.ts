import type { DataSource } from 'typeorm';
import { resolveRetryPolicy } from './definition';
import { activityEntry, effectEntry, timerEntry, type OutboxEntry } from './jobs';
import type { QueueSet } from './queues';
import type { DefinitionRegistry } from './registry';
import { inTransaction, query } from './sql';
import type { OutboxDispatcher } from './workflow-engine';

export interface RelayOptions {
  /** How long a committed row may stay undispatched before the sweeper re-sends it. */
  outboxGraceMs: number;
  /** An outstanding activity untouched this long has its BullMQ job checked. */
  staleActivityMs: number;
  /** A timer overdue by this much has its BullMQ job checked. */
  overdueTimerMs: number;
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
      await this.queues.apply(rows);
      await query(this.db, 'UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
    } catch (err) {
      // The transition is committed; the sweeper sends these rows once Redis answers again.
      this.options.log('outbox dispatch deferred to the sweeper', { error: (err as Error).message, rows: rows.length });
    }
  }

  /** Marks this Redis as known to hold every job; its absence later means Redis lost data. */
  async markEpoch(): Promise<void> {
    await this.queues.connection.set(this.epochKey, new Date().toISOString());
  }

  async sweep(): Promise<SweepReport> {
    const redispatched = await this.redispatchPending();
    let recovered: number;
    if (!(await this.queues.connection.exists(this.epochKey))) {
      recovered = await this.resendOutstanding('all');
      await this.markEpoch();
      if (recovered > 0) this.options.log('redis had lost the engine epoch: outstanding work re-sent', { recovered });
    } else {
      recovered = await this.resendOutstanding('stale');
    }
    await query(this.db, 'DELETE FROM idempotency_key WHERE ctid IN (SELECT ctid FROM idempotency_key WHERE expires_at < now() LIMIT 1000)');
    return { redispatched, recovered };
  }

  private async redispatchPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await inTransaction(this.db, async (tx) => {
        const rows = await tx.rows<{ id: string; workflow_id: string; queue: any; op: any; job_id: string; payload: any; run_at: Date }>(
          `SELECT id, workflow_id, queue, op, job_id, payload, run_at FROM outbox
            WHERE dispatched_at IS NULL AND created_at < now() - make_interval(secs => $1::float / 1000)
            ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED`,
          [this.options.outboxGraceMs],
        );
        if (rows.length === 0) return 0;
        await this.queues.apply(rows.map((r) => ({ workflowId: r.workflow_id, queue: r.queue, op: r.op, jobId: r.job_id, payload: r.payload, runAt: r.run_at })));
        await tx.rows('UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
        return rows.length;
      });
      total += n;
      if (n < 500) return total;
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
    for (const t of timers) entries.push(timerEntry({ workflowId: t.workflow_id, timerId: t.id }, t.due_at));
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
    const missing = stale ? await this.withoutLiveJob(entries) : entries;
    if (missing.length > 0) await this.queues.apply(missing);
    if (stale && activities.length > 0) {
      await query(this.db, `UPDATE activity SET updated_at = now() WHERE id = ANY($1::uuid[]) AND status = 'scheduled'`, [activities.map((a) => a.id)]);
    }
    return missing.length;
  }

  /** Keeps the entries whose job is gone from Redis; a job that failed outside the engine's hands is retried. */
  private async withoutLiveJob(entries: OutboxEntry[]): Promise<OutboxEntry[]> {
    const missing: OutboxEntry[] = [];
    for (const e of entries) {
      const queue = this.queues.queues[e.queue];
      const state = await queue.getJobState(e.jobId);
      if (state === 'unknown') missing.push(e);
      else if (state === 'failed' || state === 'completed') {
        await queue.remove(e.jobId).catch(() => 0);
        missing.push(e);
      }
    }
    return missing;
  }
}
