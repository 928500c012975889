import type { DataSource } from 'typeorm';
import { DomainError } from '../engine/errors/domain.error';
import { query } from '../engine/store/sql';
import { publicId } from '../engine/store/tenancy';
import type { TenantScope } from '../auth/tenant-scope';

export interface OutstandingWork {
  /** Activities and child workflows not yet settled: `scheduled`, or `held` (their outcome kept by an incident or a pause). */
  activities: { id: string; name: string; kind: string; status: 'scheduled' | 'held'; attempts: number; childWorkflowId: string | null; lastError: unknown; scheduledAt: string }[];
  /** Durable timers not yet fired or cancelled; `held`: fired while the workflow was held, not yet applied. */
  timers: { id: string; event: string; status: 'scheduled' | 'held'; dueAt: string }[];
}

/** What a workflow is waiting on, from the engine's own tables (XState's snapshot does not know). */
export class OutstandingQueries {
  constructor(private readonly db: DataSource) {}

  async of(scope: TenantScope, id: string): Promise<OutstandingWork> {
    const workflowId = scope.workflowKey(id);
    const [instance] = await query<{ id: string }>(this.db, 'SELECT id FROM workflow_instance WHERE id = $1 AND tenant = $2', [workflowId, scope.tenant]);
    if (!instance) throw new DomainError('workflow_not_found', `no workflow ${id}`, { workflowId: id });
    const [activities, timers] = await Promise.all([
      query<any>(this.db, `SELECT id, src, kind, status, attempts, child_workflow_id, last_error, created_at FROM activity WHERE workflow_id = $1 AND (status = 'scheduled' OR status = 'held') ORDER BY created_at, seq`, [workflowId]),
      query<any>(this.db, `SELECT id, event, status, due_at FROM timer WHERE workflow_id = $1 AND (status = 'scheduled' OR status = 'held') ORDER BY due_at`, [workflowId]),
    ]);
    return {
      activities: activities.map((a) => ({
        id: a.id,
        name: a.src,
        kind: a.kind,
        status: a.status,
        attempts: a.attempts,
        childWorkflowId: publicId(a.child_workflow_id),
        lastError: a.last_error,
        scheduledAt: new Date(a.created_at).toISOString(),
      })),
      timers: timers.map((t) => ({ id: t.id, event: String(t.event?.type ?? 'timer'), status: t.status, dueAt: new Date(t.due_at).toISOString() })),
    };
  }
}
