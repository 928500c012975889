import type { DataSource } from 'typeorm';
import { cursorAtSql, taskCursor } from '../api/cursor';
import { DomainError } from '../engine/errors/domain.error';
import { query } from '../engine/store/sql';
import { publicId } from '../engine/store/tenancy';
import type { TenantScope } from '../auth/tenant-scope';

export interface TaskView {
  id: string;
  workflowId: string;
  workflowType: string;
  stateId: string;
  title: string;
  candidateGroups: string[];
  decisions: string[];
  form: unknown;
  /** The business facts the task declares, as they were when it opened. */
  summary: { label: string; path: string; value: unknown }[];
  fourEyes: boolean;
  status: string;
  claimedBy: string | null;
  completedBy: string | null;
  decision: string | null;
  data: unknown;
  dueAt: string | null;
  overdue: boolean;
  escalated: boolean;
  createdAt: string;
  closedAt: string | null;
  closeReason: string | null;
}

export interface TaskFilter {
  group?: string;
  assignee?: string;
  status?: string;
  workflow?: string;
  type?: string;
  overdue?: boolean;
  limit: number;
  cursor?: string;
  /** Reviewers see the tasks of their groups only. */
  visibleToGroups?: string[];
}

const toView = (r: any): TaskView => ({
  id: r.id,
  workflowId: publicId(r.workflow_id),
  workflowType: r.workflow_type,
  stateId: r.state_id,
  title: r.title,
  candidateGroups: r.candidate_groups,
  decisions: r.decisions,
  form: r.form,
  summary: r.summary ?? [],
  fourEyes: r.four_eyes,
  status: r.status,
  claimedBy: r.claimed_by,
  completedBy: r.completed_by,
  decision: r.decision,
  data: r.data,
  dueAt: r.due_at ? new Date(r.due_at).toISOString() : null,
  overdue: r.overdue || (r.status === 'open' && r.due_at !== null && new Date(r.due_at).getTime() < Date.now()),
  escalated: r.escalated,
  createdAt: new Date(r.created_at).toISOString(),
  closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
  closeReason: r.close_reason,
});

/** The task inbox: read side of `human_task`. */
export class TaskQueries {
  constructor(private readonly db: DataSource) {}

  async get(scope: TenantScope, id: string, visibleToGroups?: string[]): Promise<TaskView> {
    const [row] = await query(this.db, 'SELECT * FROM human_task WHERE id = $1 AND tenant = $2', [id, scope.tenant]);
    // A task of other groups is as good as absent to a reviewer: no leak of its existence.
    if (!row || (visibleToGroups && !row.candidate_groups.some((g: string) => visibleToGroups.includes(g)))) {
      throw new DomainError('task_not_found', `no task ${id}`, { taskId: id });
    }
    return toView(row);
  }

  async list(scope: TenantScope, f: TaskFilter): Promise<{ items: TaskView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    add('tenant = ?', scope.tenant);
    if (f.group) add('? = ANY(candidate_groups)', f.group);
    if (f.visibleToGroups) add('candidate_groups && ?::text[]', f.visibleToGroups);
    if (f.assignee) add('claimed_by = ?', f.assignee);
    if (f.status) add('status = ?', f.status);
    if (f.workflow) add('workflow_id = ?', scope.workflowKey(f.workflow));
    if (f.type) add('workflow_type = ?', f.type);
    if (f.overdue !== undefined) add(`(status = 'open' AND (overdue OR due_at < now())) = ?`, f.overdue);
    if (f.cursor) {
      const { at, id } = taskCursor.decode(f.cursor);
      params.push(at, id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(f.limit + 1);
    const rows = await query(this.db, `SELECT *, ${cursorAtSql('created_at')} AS cursor_at FROM human_task ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params);
    const items = rows.slice(0, f.limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > f.limit && last ? taskCursor.encode(last.cursor_at, last.id) : null;
    return { items: items.map(toView), nextCursor };
  }
}
