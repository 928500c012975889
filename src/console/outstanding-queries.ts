import type { DataSource } from 'typeorm';
import { DomainError } from '../engine/errors/domain.error';
import { query } from '../engine/store/sql';
import { publicId } from '../engine/store/tenancy';
import type { TenantScope } from '../auth/tenant-scope';

export interface OutstandingWork {
  /** Activities and child workflows not yet settled: `scheduled`, or `held` (their outcome kept by an incident or a pause). */
  activities: {
    id: string;
    name: string;
    /** The invoke's id in the machine (`reserveFunds`), beside the activity's name (`src`). */
    activityId: string;
    kind: string;
    status: 'scheduled' | 'held';
    attempts: number;
    /** How many attempts it may make in all (its retry policy's, or an operator's retry budget). */
    attemptLimit: number | null;
    /** When the next attempt is due, after a failed one (the recorded backoff); null before any failure. */
    nextRetryAt: string | null;
    childWorkflowId: string | null;
    lastError: unknown;
    scheduledAt: string;
  }[];
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
      // The limit and the backoff are in the history: the scheduling record's policy, the last failed attempt's delay.
      query<any>(
        this.db,
        `SELECT a.id, a.src, a.child_id, a.kind, a.status, a.attempts, a.child_workflow_id, a.last_error, a.created_at,
                coalesce(a.attempt_limit, (SELECT (h.data -> 'retry' ->> 'maximumAttempts')::int FROM workflow_history h
                   WHERE h.workflow_id = a.workflow_id AND h.kind = 'activity.scheduled' AND h.data ->> 'invocationId' = a.id::text LIMIT 1)) AS attempt_limit,
                (SELECT h.recorded_at + make_interval(secs => (h.data ->> 'retryInMs')::float / 1000) FROM workflow_history h
                   WHERE h.workflow_id = a.workflow_id AND h.kind = 'activity.attempt.failed' AND h.data ->> 'invocationId' = a.id::text
                   ORDER BY h.seq DESC LIMIT 1) AS next_retry_at
           FROM activity a WHERE a.workflow_id = $1 AND (a.status = 'scheduled' OR a.status = 'held') ORDER BY a.created_at, a.seq`,
        [workflowId],
      ),
      query<any>(this.db, `SELECT id, event, status, due_at FROM timer WHERE workflow_id = $1 AND (status = 'scheduled' OR status = 'held') ORDER BY due_at`, [workflowId]),
    ]);
    return {
      activities: activities.map((a) => ({
        id: a.id,
        name: a.src,
        activityId: a.child_id,
        kind: a.kind,
        status: a.status,
        attempts: a.attempts,
        attemptLimit: a.kind === 'activity' && a.attempt_limit !== null ? Number(a.attempt_limit) : null,
        nextRetryAt: a.status === 'scheduled' && a.attempts > 0 && a.next_retry_at ? new Date(a.next_retry_at).toISOString() : null,
        childWorkflowId: publicId(a.child_workflow_id),
        lastError: a.last_error,
        scheduledAt: new Date(a.created_at).toISOString(),
      })),
      timers: timers.map((t) => ({ id: t.id, event: String(t.event?.type ?? 'timer'), status: t.status, dueAt: new Date(t.due_at).toISOString() })),
    };
  }
}
