import type { DataSource } from 'typeorm';
import { DomainError } from '../engine/errors/domain.error';
import { toView, type InstanceRow, type WorkflowView } from '../engine/instance';
import { query } from '../engine/sql';

export interface ListFilter {
  type?: string;
  status?: string;
  state?: string;
  businessKey?: string;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface HistoryEntry {
  seq: number;
  recordedAt: string;
  kind: string;
  actor: string;
  origin: unknown;
  event: unknown;
  stateBefore: unknown;
  stateAfter: unknown;
  outcome: string;
  reason: string | null;
  idempotencyKey: string | null;
  data: unknown;
  prevHash: string;
  hash: string;
}

/** Read side of the workflow tables: lists, one instance, its history. */
export class WorkflowQueries {
  constructor(private readonly db: DataSource) {}

  async get(id: string): Promise<WorkflowView> {
    const [row] = await query<InstanceRow>(this.db, 'SELECT * FROM workflow_instance WHERE id = $1', [id]);
    if (!row) throw new DomainError('workflow_not_found', `no workflow ${id}`, { workflowId: id });
    return toView(row);
  }

  /** Newest first; the cursor is the (created_at, id) of the last item seen. */
  async list(filter: ListFilter): Promise<Page<WorkflowView>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.type) add('type = ?', filter.type);
    if (filter.status) add('status = ?', filter.status);
    if (filter.state) add('? = ANY(state_paths)', filter.state);
    if (filter.businessKey) add('business_key = ?', filter.businessKey);
    if (filter.cursor) {
      const [at, id] = decodeCursor(filter.cursor);
      params.push(at, id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(filter.limit + 1);
    const rows = await query<InstanceRow>(
      this.db,
      `SELECT * FROM workflow_instance ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toView),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(new Date(last.created_at), last.id) : null,
    };
  }

  async history(id: string): Promise<HistoryEntry[]> {
    await this.get(id);
    const rows = await query<any>(this.db, 'SELECT * FROM workflow_history WHERE workflow_id = $1 ORDER BY seq', [id]);
    return rows.map((r) => ({
      seq: r.seq,
      recordedAt: new Date(r.recorded_at).toISOString(),
      kind: r.kind,
      actor: r.actor,
      origin: r.origin,
      event: r.event,
      stateBefore: r.state_before,
      stateAfter: r.state_after,
      outcome: r.outcome,
      reason: r.reason,
      idempotencyKey: r.idempotency_key,
      data: r.data,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the validation error
  }
  throw new DomainError('validation_failed', 'the cursor is not one this API returned', { errors: [{ field: 'cursor', message: 'malformed cursor' }] });
}
