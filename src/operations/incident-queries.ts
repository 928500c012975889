import type { DataSource } from 'typeorm';
import { cursorAtSql, taskCursor } from '../api/cursor';
import type { TenantScope } from '../auth/tenant-scope';
import { DomainError } from '../engine/errors/domain.error';
import { toIncidentView, type IncidentKind, type IncidentRow, type IncidentView } from '../engine/loop/incidents';
import { query } from '../engine/store/sql';

export interface IncidentFilter {
  type?: string;
  workflowId?: string;
  kind?: IncidentKind;
  status?: 'open' | 'resolved';
  limit: number;
  cursor?: string;
}

/** Read side of incidents: newest first, one tenant's, cursor paging by (created_at, id). */
export class IncidentQueries {
  constructor(private readonly db: DataSource) {}

  async list(scope: TenantScope, filter: IncidentFilter): Promise<{ items: IncidentView[]; nextCursor: string | null }> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = [`i.tenant = ${param(scope.tenant)}`];
    if (filter.type) where.push(`i.type = ${param(filter.type)}`);
    if (filter.workflowId) where.push(`i.workflow_id = ${param(scope.workflowKey(filter.workflowId))}`);
    if (filter.kind) where.push(`i.kind = ${param(filter.kind)}`);
    if (filter.status) where.push(`i.status = ${param(filter.status)}`);
    if (filter.cursor) {
      const { at, id } = taskCursor.decode(filter.cursor);
      where.push(`(i.created_at, i.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
    }
    const rows = await query<IncidentRow & { cursor_at: string }>(
      this.db,
      `SELECT i.*, ${cursorAtSql('i.created_at')} AS cursor_at FROM incident i WHERE ${where.join(' AND ')}
        ORDER BY i.created_at DESC, i.id DESC LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return { items: items.map(toIncidentView), nextCursor: rows.length > filter.limit && last ? taskCursor.encode(last.cursor_at, last.id) : null };
  }

  async get(scope: TenantScope, id: string): Promise<IncidentView> {
    const [row] = await query<IncidentRow>(this.db, 'SELECT * FROM incident WHERE id = $1 AND tenant = $2', [id, scope.tenant]);
    if (!row) throw new DomainError('incident_not_found', `no incident ${id}`, { incidentId: id });
    return toIncidentView(row);
  }
}
