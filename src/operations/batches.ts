import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { cursorAtSql, taskCursor } from '../api/cursor';
import { tenantScope, type TenantScope } from '../auth/tenant-scope';
import { DomainError } from '../engine/errors/domain.error';
import type { Actor } from '../engine/store/history';
import { operatorNotes, type OperatorActions, type OperatorCall } from '../engine/loop/operator-actions';
import { inTransaction, isTransient, query } from '../engine/store/sql';
import type { Step } from '../engine/loop/step';
import { publicId } from '../engine/store/tenancy';
import type { WorkflowEngine } from '../engine/loop/workflow-engine';
import type { MigrationRequest } from '../engine/loop/migration';
import type { WorkflowFilter, WorkflowQueries } from '../persistence/workflow-queries';

export type BatchAction = 'retry' | 'resolve' | 'pause' | 'resume' | 'terminate' | 'cancel' | 'migrate';

export interface BatchRequest {
  action: BatchAction;
  filter: WorkflowFilter;
  reason: string;
  /** `migrate`: the version and, optionally, the state mapping and context patch, as for one workflow. */
  migration?: MigrationRequest;
}

export interface BatchView {
  id: string;
  tenant: string;
  action: BatchAction;
  filter: WorkflowFilter;
  reason: string;
  migration: MigrationRequest | null;
  requestedBy: string;
  approvalId: string | null;
  approvedBy: string | null;
  /** `pending_approval`: fixed, waiting for a second operator; `cancelled`: the approval was rejected or expired. */
  status: 'pending_approval' | 'running' | 'completed' | 'cancelled';
  total: number;
  progress: { done: number; skipped: number; failed: number; remaining: number };
  createdAt: string;
  finishedAt: string | null;
}

export interface BatchItemView {
  seq: number;
  workflowId: string;
  outcome: 'pending' | 'done' | 'skipped' | 'failed';
  detail: string | null;
  doneAt: string | null;
}

/** Items a runner takes at once; they are leased, so another process takes the rest meanwhile. */
const CLAIM = 50;
const LEASE_MS = 10_000;
/** A dry run shows this many of the matching workflows. */
const SAMPLE = 20;
/** A batch selects at most this many workflows (a filter too wide is refused, not half-done). */
export const MAX_BATCH = 100_000;

interface BatchItemRow {
  batch_id: string;
  seq: number;
  workflow_id: string;
  tenant: string;
  action: BatchAction;
  reason: string;
  requested_by: string;
  approval_id: string | null;
  approved_by: string | null;
  params: { migration?: MigrationRequest } | null;
}

/** Already carried out by another runner: the action's transaction is rolled back. */
class AlreadyDone extends Error {}

/** Refusals that mean "nothing to do here" rather than a failure of the action. */
// A migration refused where an instance stands (its state differs in the target) is skipped, with the reason.
const SKIPPED = new Set(['workflow_terminal', 'workflow_paused', 'workflow_not_paused', 'incident_not_open', 'workflow_not_found', 'migration_refused']);

/**
 * Operator actions over a query. The matching workflows are fixed when the batch is created
 * (one row each in `batch_item`); runners in any process lease items and carry each out in the
 * transaction of its workflow, where the item's outcome is written too: a crash anywhere
 * leaves each item either done (with its history record) or still pending, never both or
 * neither, and a restarted runner goes on with what is pending.
 */
export class BatchOperations {
  constructor(
    private readonly db: DataSource,
    private readonly engine: WorkflowEngine,
    private readonly actions: OperatorActions,
    private readonly queries: WorkflowQueries,
  ) {}

  /** How many workflows the filter matches now, and a sample of them. */
  async dryRun(scope: TenantScope, request: BatchRequest): Promise<{ dryRun: true; action: BatchAction; matching: number; sample: string[] }> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = this.queries.conditions(scope, request.filter, param).join(' AND ');
    const [count] = await query<{ n: string }>(this.db, `SELECT count(*) AS n FROM workflow_instance w WHERE ${where}`, params);
    const sample = await query<{ id: string }>(this.db, `SELECT w.id FROM workflow_instance w WHERE ${where} ORDER BY w.created_at DESC, w.id DESC LIMIT ${SAMPLE}`, params);
    return { dryRun: true, action: request.action, matching: Number(count!.n), sample: sample.map((r) => publicId(r.id)!) };
  }

  /** Fixes the matching set and starts the batch; the runners carry it out. */
  async create(scope: TenantScope, request: BatchRequest, actor: Actor, status: 'running' | 'pending_approval' = 'running'): Promise<BatchView> {
    const id = randomUUID();
    await inTransaction(this.db, async (tx) => {
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where = this.queries.conditions(scope, request.filter, param).join(' AND ');
      const [count] = await tx.rows<{ n: string }>(`SELECT count(*) AS n FROM workflow_instance w WHERE ${where}`, params);
      const total = Number(count!.n);
      if (total > MAX_BATCH) {
        throw new DomainError('validation_failed', `the filter matches ${total} workflows; a batch takes at most ${MAX_BATCH}`, { errors: [{ field: 'filter', message: `matches ${total}, at most ${MAX_BATCH}` }] });
      }
      await tx.rows(
        `INSERT INTO batch_operation (id, tenant, action, filter, reason, requested_by, status, total, params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, scope.tenant, request.action, request.filter, request.reason, actor.actor, status, total, request.migration ? { migration: request.migration } : null],
      );
      await tx.rows(
        `INSERT INTO batch_item (batch_id, seq, workflow_id, outcome)
         SELECT ${param(id)}::uuid, row_number() OVER (ORDER BY w.created_at, w.id), w.id, 'pending' FROM workflow_instance w WHERE ${where}`,
        params,
      );
    });
    return this.get(scope, id);
  }

  /** A batch fixed at request time starts once its approval is given. */
  async release(scope: TenantScope, id: string, approvalId: string, approvedBy: string): Promise<BatchView> {
    const [row] = await query(this.db, `UPDATE batch_operation SET status = 'running', approval_id = $3, approved_by = $4 WHERE id = $1 AND tenant = $2 AND status = 'pending_approval' RETURNING id`, [id, scope.tenant, approvalId, approvedBy]);
    if (!row) throw new DomainError('approval_not_pending', `batch operation ${id} is no longer waiting for approval`, { batchId: id });
    return this.get(scope, id);
  }

  /** A batch whose approval was rejected or expired never runs. */
  async withdraw(tenant: string, id: string, approvalId: string): Promise<void> {
    await query(this.db, `UPDATE batch_operation SET status = 'cancelled', approval_id = $3, finished_at = now() WHERE id = $1 AND tenant = $2 AND status = 'pending_approval'`, [id, tenant, approvalId]);
  }

  async get(scope: TenantScope, id: string): Promise<BatchView> {
    const [row] = await query<any>(this.db, 'SELECT * FROM batch_operation WHERE id = $1 AND tenant = $2', [id, scope.tenant]);
    if (!row) throw new DomainError('batch_not_found', `no batch operation ${id}`, { batchId: id });
    const counts = await query<{ outcome: string; n: string }>(this.db, 'SELECT outcome, count(*) AS n FROM batch_item WHERE batch_id = $1 GROUP BY outcome', [id]);
    const by = Object.fromEntries(counts.map((c) => [c.outcome, Number(c.n)]));
    return toBatchView(row, { done: by.done ?? 0, skipped: by.skipped ?? 0, failed: by.failed ?? 0, remaining: by.pending ?? 0 });
  }

  async items(scope: TenantScope, id: string, page: { limit: number; cursor?: number; outcome?: string }): Promise<{ items: BatchItemView[]; nextCursor: number | null }> {
    await this.get(scope, id);
    const rows = await query<any>(
      this.db,
      `SELECT seq, workflow_id, outcome, detail, done_at FROM batch_item WHERE batch_id = $1 AND seq > $2 ${page.outcome ? 'AND outcome = $4' : ''} ORDER BY seq LIMIT $3`,
      page.outcome ? [id, page.cursor ?? 0, page.limit + 1, page.outcome] : [id, page.cursor ?? 0, page.limit + 1],
    );
    const items = rows.slice(0, page.limit).map((r) => ({ seq: Number(r.seq), workflowId: publicId(r.workflow_id)!, outcome: r.outcome, detail: r.detail, doneAt: r.done_at ? new Date(r.done_at).toISOString() : null }));
    return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.seq : null };
  }

  async list(scope: TenantScope, page: { limit: number; cursor?: string }): Promise<{ items: BatchView[]; nextCursor: string | null }> {
    const params: unknown[] = [scope.tenant];
    let after = '';
    if (page.cursor) {
      const { at, id } = taskCursor.decode(page.cursor);
      params.push(at, id);
      after = 'AND (created_at, id) < ($2::timestamptz, $3::uuid)';
    }
    params.push(page.limit + 1);
    const rows = await query<any>(
      this.db,
      `SELECT *, ${cursorAtSql('created_at')} AS cursor_at FROM batch_operation WHERE tenant = $1 ${after} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const items = await Promise.all(rows.slice(0, page.limit).map((r) => this.get(tenantScope(r.tenant), r.id)));
    const last = rows[Math.min(rows.length, page.limit) - 1];
    return { items, nextCursor: rows.length > page.limit && last ? taskCursor.encode(last.cursor_at, last.id) : null };
  }

  /**
   * Takes pending items of running batches (leased, so several processes share the work) and
   * carries them out one by one; a batch with nothing pending is marked completed. Answers how
   * many items were settled.
   */
  async runPending(): Promise<number> {
    const claimed = await query<BatchItemRow>(
      this.db,
      `WITH c AS (
         SELECT i.batch_id, i.seq FROM batch_item i JOIN batch_operation b ON b.id = i.batch_id
          WHERE b.status = 'running' AND i.outcome = 'pending' AND (i.leased_until IS NULL OR i.leased_until < now())
          ORDER BY b.created_at, i.seq LIMIT ${CLAIM} FOR UPDATE OF i SKIP LOCKED)
       UPDATE batch_item i SET leased_until = now() + make_interval(secs => ${LEASE_MS / 1000}) FROM c, batch_operation b
        WHERE i.batch_id = c.batch_id AND i.seq = c.seq AND b.id = i.batch_id
        RETURNING i.batch_id, i.seq, i.workflow_id, b.tenant, b.action, b.reason, b.requested_by, b.approval_id, b.approved_by, b.params`,
    );
    claimed.sort((x, y) => (x.batch_id === y.batch_id ? x.seq - y.seq : x.batch_id < y.batch_id ? -1 : 1));
    let settled = 0;
    for (const item of claimed) if (await this.runItem(item)) settled++;
    await query(
      this.db,
      `UPDATE batch_operation b SET status = 'completed', finished_at = now()
        WHERE b.status = 'running' AND NOT EXISTS (SELECT 1 FROM batch_item i WHERE i.batch_id = b.id AND i.outcome = 'pending')`,
    );
    return settled;
  }

  private async runItem(item: BatchItemRow): Promise<boolean> {
    const mark = async (step: Step) => {
      const row = await step.tx.one(`UPDATE batch_item SET outcome = 'done', done_at = now(), leased_until = NULL WHERE batch_id = $1 AND seq = $2 AND outcome = 'pending' RETURNING seq`, [item.batch_id, item.seq]);
      if (!row) throw new AlreadyDone();
    };
    // The action is recorded as the operator who asked for the batch, with the batch's id.
    const call: OperatorCall = { actor: { actor: item.requested_by }, reason: item.reason, hook: mark, batchId: item.batch_id, approvalId: item.approval_id ?? undefined, approvedBy: item.approved_by ?? undefined };
    try {
      await this.perform(item, call);
      return true;
    } catch (err) {
      if (err instanceof AlreadyDone) return false;
      if (isTransient(err)) return false;
      const code = err instanceof DomainError ? err.code : 'internal';
      const outcome = SKIPPED.has(code) ? 'skipped' : 'failed';
      const detail = err instanceof DomainError ? `${code}: ${err.message}` : 'internal: the action failed';
      // A refusal the machine made after the item was marked (a cancellation refused) overrides `done`.
      await query(this.db, `UPDATE batch_item SET outcome = $3, detail = $4, done_at = now(), leased_until = NULL WHERE batch_id = $1 AND seq = $2 AND (outcome = 'pending' OR $5)`, [
        item.batch_id,
        item.seq,
        outcome,
        detail.slice(0, 1000),
        code === 'cancellation_refused',
      ]);
      return true;
    }
  }

  private async perform(item: { workflow_id: string; tenant: string; action: BatchAction; params?: BatchItemRow['params'] }, call: OperatorCall): Promise<void> {
    switch (item.action) {
      case 'migrate':
        if (!item.params?.migration) throw new DomainError('validation_failed', 'the batch names no migration', {});
        await this.actions.migrate(item.workflow_id, item.params.migration, call);
        return;
      case 'pause':
        await this.actions.pause(item.workflow_id, call);
        return;
      case 'resume':
        await this.actions.resume(item.workflow_id, call);
        return;
      case 'terminate':
        await this.actions.terminate(item.workflow_id, call);
        return;
      case 'cancel':
        await this.engine.cancel(item.workflow_id, call.actor, call.reason, call.hook, operatorNotes(call));
        return;
      case 'retry':
      case 'resolve': {
        const [incident] = await query<{ id: string }>(this.db, `SELECT id FROM incident WHERE workflow_id = $1 AND status = 'open' ORDER BY created_at LIMIT 1`, [item.workflow_id]);
        if (!incident) throw new DomainError('incident_not_open', 'the workflow has no open incident', {});
        if (item.action === 'retry') await this.actions.retry(item.tenant, incident.id, call);
        else await this.actions.resolve(item.tenant, incident.id, call);
        return;
      }
    }
  }
}

function toBatchView(row: any, progress: BatchView['progress']): BatchView {
  return {
    id: row.id,
    tenant: row.tenant,
    action: row.action,
    filter: row.filter,
    reason: row.reason,
    migration: row.params?.migration ?? null,
    requestedBy: row.requested_by,
    approvalId: row.approval_id,
    approvedBy: row.approved_by,
    status: row.status,
    total: row.total,
    progress,
    createdAt: new Date(row.created_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
  };
}
