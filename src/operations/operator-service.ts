import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { cursorAtSql, taskCursor } from '../api/cursor';
import { tenantScope, type TenantScope } from '../auth/tenant-scope';
import { DomainError } from '../engine/errors/domain.error';
import type { Actor } from '../engine/store/history';
import { mustMoveTo, type OperatorActions } from '../engine/loop/operator-actions';
import type { MigrationRequest } from '../engine/loop/migration';
import { query } from '../engine/store/sql';
import { publicId } from '../engine/store/tenancy';
import type { WorkflowEngine } from '../engine/loop/workflow-engine';
import type { BatchOperations, BatchRequest } from './batches';

/** What an operator may ask for; `batch` is every batch operation, whatever its action. */
export const GATED_ACTIONS = ['pause', 'resume', 'terminate', 'move', 'migrate', 'retry', 'resolve', 'batch'] as const;
export type GatedAction = (typeof GATED_ACTIONS)[number];

/** One operator request, as executed at once or kept for a second operator's approval. */
export type OperatorRequest =
  | { action: 'pause' | 'resume' | 'terminate'; workflowId: string }
  | { action: 'move'; workflowId: string; toState: string }
  | { action: 'migrate'; workflowId: string; migration: MigrationRequest }
  | { action: 'retry' | 'resolve'; incidentId: string }
  | { action: 'batch'; batch: BatchRequest; /** Under dual control: the batch, fixed when it was requested. */ batchId?: string; total?: number };

export interface ApprovalRow {
  id: string;
  tenant: string;
  action: GatedAction;
  target: OperatorRequest;
  reason: string;
  requested_by: string;
  requested_at: Date;
  expires_at: Date;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  result: unknown;
}

export interface ApprovalView {
  id: string;
  tenant: string;
  action: GatedAction;
  target: Record<string, unknown>;
  reason: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  status: ApprovalRow['status'];
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  result: unknown;
}

function toApprovalView(row: ApprovalRow): ApprovalView {
  const t = row.target;
  const target =
    'batch' in t ? { batch: t.batch, batchId: t.batchId ?? null, total: t.total ?? null } : 'incidentId' in t ? { incidentId: t.incidentId } : 'toState' in t ? { workflowId: t.workflowId, toState: t.toState } : 'migration' in t ? { workflowId: t.workflowId, migration: t.migration } : { workflowId: t.workflowId };
  return {
    id: row.id,
    tenant: row.tenant,
    action: row.action,
    target,
    reason: row.reason,
    requestedBy: row.requested_by,
    requestedAt: new Date(row.requested_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    status: row.status,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at ? new Date(row.decided_at).toISOString() : null,
    decisionReason: row.decision_reason,
    result: row.result ?? null,
  };
}

/** What an operator action answered: done at once, or waiting for a second operator. */
export type OperatorOutcome = { done: true; result: unknown } | { done: false; approval: ApprovalView };

export interface OperatorServiceOptions {
  /** DUAL_CONTROL: the actions a second operator must approve. */
  dualControl: readonly GatedAction[];
  /** How long a request waits for its approval. */
  approvalTtlMs: number;
}

/**
 * Operator actions under dual control. An action the deployment names in DUAL_CONTROL is kept
 * as a pending approval (202) until a different operator of the same tenant approves it; the
 * request, the approval or rejection, and an expiry are each recorded in the history of the
 * workflow concerned (a batch's approval is kept with the batch and each item's record).
 */
export class OperatorService {
  private readonly gated: ReadonlySet<GatedAction>;

  constructor(
    private readonly db: DataSource,
    private readonly engine: WorkflowEngine,
    private readonly actions: OperatorActions,
    private readonly batches: BatchOperations,
    private readonly options: OperatorServiceOptions,
  ) {
    this.gated = new Set(options.dualControl);
  }

  /** A migration's dry run: the plan, or the refusal the migration would answer. */
  planMigration(scope: TenantScope, workflowId: string, migration: MigrationRequest) {
    return this.actions.planMigration(scope.workflowKey(workflowId), migration);
  }

  needsApproval(action: GatedAction): boolean {
    return this.gated.has(action);
  }

  /** Carries out the request now, or keeps it for approval when the deployment says so. */
  async request(scope: TenantScope, request: OperatorRequest, actor: Actor, reason: string): Promise<OperatorOutcome> {
    if (!this.needsApproval(request.action)) return { done: true, result: await this.execute(scope, request, actor, reason) };
    // The target must exist (and be this tenant's), and the action apply to it now, before anyone is asked to approve it.
    const workflowId = await this.workflowOf(scope, request);
    await this.mustApply(scope, request);
    if (request.action === 'batch') {
      // What the approver approves is fixed now: the matching workflows, counted, not a filter re-run later.
      const batch = await this.batches.create(scope, request.batch, actor, 'pending_approval');
      request = { ...request, batchId: batch.id, total: batch.total };
    }
    const row = (
      await query<ApprovalRow>(
        this.db,
        `INSERT INTO operator_approval (id, tenant, action, target, reason, requested_by, expires_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING *`,
        [randomUUID(), scope.tenant, request.action, request, reason, actor.actor, new Date(Date.now() + this.options.approvalTtlMs)],
      )
    )[0]!;
    await this.recordOn(workflowId, actor, 'operator.approval.requested', reason, row);
    return { done: false, approval: toApprovalView(row) };
  }

  /** A different operator of the same tenant approves: the action is carried out now, as that operator. */
  async approve(scope: TenantScope, id: string, actor: Actor, reason?: string): Promise<{ approval: ApprovalView; result: unknown }> {
    const row = await this.pending(scope, id, actor);
    const [claimed] = await query<ApprovalRow>(
      this.db,
      `UPDATE operator_approval SET status = 'approved', decided_by = $2, decided_at = now(), decision_reason = $3 WHERE id = $1 AND status = 'pending' RETURNING *`,
      [id, actor.actor, reason ?? null],
    );
    if (!claimed) throw new DomainError('approval_not_pending', `approval ${id} was decided meanwhile`, { approvalId: id });
    const workflowId = await this.workflowOf(scope, row.target).catch(() => undefined);
    await this.recordOn(workflowId, actor, 'operator.approval.approved', reason ?? null, claimed);
    let result: unknown;
    try {
      result = await this.execute(scope, row.target, actor, row.reason, { approvalId: id, requestedBy: row.requested_by });
    } catch (err) {
      const error = err instanceof DomainError ? { code: err.code, message: err.message } : { code: 'internal', message: 'the action failed' };
      await query(this.db, `UPDATE operator_approval SET result = $2 WHERE id = $1`, [id, { error }]);
      throw err;
    }
    const [done] = await query<ApprovalRow>(this.db, `UPDATE operator_approval SET result = $2 WHERE id = $1 RETURNING *`, [id, { ok: true }]);
    return { approval: toApprovalView(done!), result };
  }

  async reject(scope: TenantScope, id: string, actor: Actor, reason?: string): Promise<ApprovalView> {
    await this.pending(scope, id, actor, true);
    const [row] = await query<ApprovalRow>(
      this.db,
      `UPDATE operator_approval SET status = 'rejected', decided_by = $2, decided_at = now(), decision_reason = $3 WHERE id = $1 AND status = 'pending' RETURNING *`,
      [id, actor.actor, reason ?? null],
    );
    if (!row) throw new DomainError('approval_not_pending', `approval ${id} was decided meanwhile`, { approvalId: id });
    if (row.target.action === 'batch' && row.target.batchId) await this.batches.withdraw(row.tenant, row.target.batchId, row.id);
    await this.recordOn(await this.workflowOf(scope, row.target).catch(() => undefined), actor, 'operator.approval.rejected', reason ?? null, row);
    return toApprovalView(row);
  }

  async get(scope: TenantScope, id: string): Promise<ApprovalView> {
    return toApprovalView(await this.load(scope, id));
  }

  async list(scope: TenantScope, filter: { status?: string; limit: number; cursor?: string }): Promise<{ items: ApprovalView[]; nextCursor: string | null }> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = [`tenant = ${param(scope.tenant)}`];
    if (filter.status) where.push(`status = ${param(filter.status)}`);
    if (filter.cursor) {
      const { at, id } = taskCursor.decode(filter.cursor);
      where.push(`(requested_at, id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
    }
    const rows = await query<ApprovalRow & { cursor_at: string }>(
      this.db,
      `SELECT *, ${cursorAtSql('requested_at')} AS cursor_at FROM operator_approval WHERE ${where.join(' AND ')} ORDER BY requested_at DESC, id DESC LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return { items: items.map(toApprovalView), nextCursor: rows.length > filter.limit && last ? taskCursor.encode(last.cursor_at, last.id) : null };
  }

  /** Pending approvals past their time become `expired`, each recorded where its request was. */
  async expire(): Promise<number> {
    const rows = await query<ApprovalRow>(
      this.db,
      `UPDATE operator_approval SET status = 'expired', decided_at = now()
        WHERE id IN (SELECT id FROM operator_approval WHERE status = 'pending' AND expires_at <= now() ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
    );
    for (const row of rows) {
      if (row.target.action === 'batch' && row.target.batchId) await this.batches.withdraw(row.tenant, row.target.batchId, row.id);
      const workflowId = await this.workflowOf(tenantScope(row.tenant), row.target).catch(() => undefined);
      await this.recordOn(workflowId, { actor: 'system:operator-approvals' }, 'operator.approval.expired', `not approved by ${new Date(row.expires_at).toISOString()}`, row);
    }
    return rows.length;
  }

  /** Runs one request; `approval` says which approval released it (recorded with the action). */
  async execute(scope: TenantScope, request: OperatorRequest, actor: Actor, reason: string, approval?: { approvalId: string; requestedBy: string }): Promise<unknown> {
    const call = { actor, reason, approvalId: approval?.approvalId, requestedBy: approval?.requestedBy };
    switch (request.action) {
      case 'pause':
        return this.actions.pause(scope.workflowKey(request.workflowId), call);
      case 'resume':
        return this.actions.resume(scope.workflowKey(request.workflowId), call);
      case 'terminate':
        return this.actions.terminate(scope.workflowKey(request.workflowId), call);
      case 'move':
        return this.actions.move(scope.workflowKey(request.workflowId), request.toState, call);
      case 'migrate':
        return this.actions.migrate(scope.workflowKey(request.workflowId), request.migration, call);
      case 'retry':
        return this.actions.retry(scope.tenant, request.incidentId, call);
      case 'resolve':
        return this.actions.resolve(scope.tenant, request.incidentId, call);
      case 'batch':
        // Under dual control the batch was fixed at request time (the requester's); the approval releases it.
        if (approval && request.batchId) return this.batches.release(scope, request.batchId, approval.approvalId, actor.actor);
        return this.batches.create(scope, request.batch, actor);
    }
  }

  private async load(scope: TenantScope, id: string): Promise<ApprovalRow> {
    const [row] = await query<ApprovalRow>(this.db, 'SELECT * FROM operator_approval WHERE id = $1 AND tenant = $2', [id, scope.tenant]);
    if (!row) throw new DomainError('approval_not_found', `no operator approval ${id}`, { approvalId: id });
    return row;
  }

  /** A pending approval someone other than its requester may decide; an expired one is marked so. */
  private async pending(scope: TenantScope, id: string, actor: Actor, rejecting = false): Promise<ApprovalRow> {
    const row = await this.load(scope, id);
    if (row.status !== 'pending') throw new DomainError('approval_not_pending', `approval ${id} is ${row.status}`, { approvalId: id, status: row.status });
    if (new Date(row.expires_at).getTime() <= Date.now()) {
      await this.expire();
      throw new DomainError('approval_expired', `approval ${id} expired at ${new Date(row.expires_at).toISOString()}`, { approvalId: id });
    }
    // A requester may withdraw their own request by rejecting it, never approve it.
    if (!rejecting && row.requested_by === actor.actor) {
      throw new DomainError('self_approval', 'dual control: a different operator must approve this action', { approvalId: id, requestedBy: row.requested_by });
    }
    return row;
  }

  /**
   * Refuses a request that cannot apply now, as the action itself would (409), so nobody is
   * asked to approve what would fail; and a second pending request for the same action on
   * the same target.
   */
  private async mustApply(scope: TenantScope, request: OperatorRequest): Promise<void> {
    if ('incidentId' in request) {
      const incident = await this.actions.incident(scope.tenant, request.incidentId);
      if (incident.status !== 'open') throw new DomainError('incident_not_open', `incident ${request.incidentId} is ${incident.resolution ?? 'resolved'}`, { incidentId: request.incidentId });
    } else if ('workflowId' in request) {
      const [w] = await query<{ id: string; status: string; type: string; definition_version: number }>(this.db, 'SELECT id, status, type, definition_version FROM workflow_instance WHERE id = $1 AND tenant = $2', [scope.workflowKey(request.workflowId), scope.tenant]);
      const status = w?.status ?? '';
      const ended = ['completed', 'failed', 'cancelled', 'terminated'].includes(status);
      if (ended) throw new DomainError('workflow_terminal', `workflow ${request.workflowId} already ended ${status}`, { workflowId: request.workflowId, status });
      if (request.action === 'pause' && status === 'paused') throw new DomainError('workflow_paused', `workflow ${request.workflowId} is already paused`, { workflowId: request.workflowId });
      if (request.action === 'resume' && status !== 'paused') throw new DomainError('workflow_not_paused', `workflow ${request.workflowId} is not paused (status ${status})`, { workflowId: request.workflowId, status });
      if (request.action === 'migrate' && w) await this.actions.planMigration(scope.workflowKey(request.workflowId), request.migration);
      if (request.action === 'move' && w) mustMoveTo({ row: { id: w.id, status: w.status } as never, definition: this.engine.registry.get(w.type, w.definition_version) }, request.toState);
    } else {
      return;
    }
    const key = 'incidentId' in request ? ['incidentId', request.incidentId] : ['workflowId', request.workflowId];
    const [pending] = await query<{ id: string }>(
      this.db,
      `SELECT id FROM operator_approval WHERE tenant = $1 AND action = $2 AND status = 'pending' AND expires_at > now() AND target ->> $3 = $4 LIMIT 1`,
      [scope.tenant, request.action, key[0], key[1]],
    );
    if (pending) throw new DomainError('approval_pending', `a ${request.action} of this ${key[0] === 'incidentId' ? 'incident' : 'workflow'} already waits for approval (${pending.id})`, { approvalId: pending.id });
  }

  /** The stored id of the workflow a request is about (404 when it is not this tenant's). */
  private async workflowOf(scope: TenantScope, request: OperatorRequest): Promise<string | undefined> {
    if ('batch' in request) return undefined;
    if ('incidentId' in request) {
      const incident = await this.actions.incident(scope.tenant, request.incidentId);
      return incident.workflow_id;
    }
    const key = scope.workflowKey(request.workflowId);
    const [row] = await query<{ id: string }>(this.db, 'SELECT id FROM workflow_instance WHERE id = $1 AND tenant = $2', [key, scope.tenant]);
    if (!row) throw new DomainError('workflow_not_found', `no workflow ${request.workflowId}`, { workflowId: request.workflowId });
    return row.id;
  }

  private async recordOn(workflowId: string | undefined, actor: Actor, kind: string, reason: string | null, row: ApprovalRow): Promise<void> {
    if (!workflowId) return;
    await this.engine.withInstance(workflowId, actor, async (step) => {
      step.record({ kind, outcome: 'ok', reason, data: { approvalId: row.id, action: row.action, requestedBy: row.requested_by, expiresAt: new Date(row.expires_at).toISOString(), workflowId: publicId(workflowId) } });
    });
  }
}
