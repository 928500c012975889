import type { DataSource } from 'typeorm';
import { cursorAtSql, workflowCursor } from '../api/cursor';
import { DomainError } from '../engine/errors/domain.error';
import { toView, type InstanceRow, type WorkflowView } from '../engine/store/instance';
import { toIncidentView, type IncidentRow, type IncidentView } from '../engine/loop/incidents';
import type { SlaRule } from '../engine/definition/sla';
import { query } from '../engine/store/sql';
import type { TenantScope } from '../auth/tenant-scope';

export interface ListFilter {
  type?: string;
  status?: string;
  outcome?: string;
  state?: string;
  businessKey?: string;
  /** Only instances past a state's SLA now. */
  overdue?: boolean;
  /** Only instances with an activity still retrying after the retry alert threshold. */
  retrying?: boolean;
  /** ISO timestamps: created at or after / strictly before. */
  createdAfter?: string;
  createdBefore?: string;
  /** Only instances with an open incident (true) or without one (false). */
  hasIncident?: boolean;
  limit: number;
  cursor?: string;
}

/** The filters a batch operation selects by: the list's, without paging. */
export type WorkflowFilter = Omit<ListFilter, 'limit' | 'cursor'>;

/** A state an instance has been in for longer than its SLA. */
export interface OverdueState {
  state: string;
  enteredAt: string;
  maxDurationMs: number;
  overdueByMs: number;
}

/** An activity that has failed at least once and is still being retried. */
export interface RetryingActivity {
  activityId: string;
  activity: string;
  attempts: number;
  since: string;
  lastError: string | null;
}

/** A listed instance; an overdue or retrying listing says which state or activity, and since when. */
export type ListedWorkflow = WorkflowView & { overdue?: OverdueState[]; retrying?: RetryingActivity[] };

export interface QueryOptions {
  /** Every registered definition version's state SLAs (`slaRules`). */
  slaRules?: readonly SlaRule[];
  /** ACTIVITY_RETRY_ALERT_MS. */
  retryAlertMs?: number;
}

/** Still able to move: only these can be overdue. */
const ACTIVE = `w.status IN ('running', 'waiting', 'paused')`;

/**
 * The states of instance `w` past their SLA, one row each (state, entered_at, max_ms,
 * overdue_ms); `rules` is the SQL parameter holding the SLA table as JSON. A state counts
 * while it is still active (in `state_paths`), from when it was last entered (`state_entered`).
 */
export function overdueStatesSql(rules: string): string {
  return `SELECT r.state, (w.state_entered ->> r.state)::timestamptz AS entered_at, r.max_ms,
           floor(extract(epoch FROM now() - (w.state_entered ->> r.state)::timestamptz) * 1000)::bigint - r.max_ms AS overdue_ms
      FROM jsonb_to_recordset(${rules}::jsonb) AS r(type text, version int, state text, max_ms bigint)
     WHERE r.type = w.type AND r.version = w.definition_version AND r.state = ANY(w.state_paths)
       AND (w.state_entered ->> r.state) IS NOT NULL
       AND (w.state_entered ->> r.state)::timestamptz < now() - r.max_ms * interval '1 millisecond'`;
}

/** The activities of instance `w` that failed at least once and still retry after `minAge` milliseconds. */
export function retryingActivitiesSql(minAge: string): string {
  return `SELECT a.child_id, a.src, a.attempts, a.created_at, a.last_error ->> 'message' AS last_error
      FROM activity a
     WHERE a.workflow_id = w.id AND a.status = 'scheduled' AND a.attempts >= 1
       AND a.created_at < now() - ${minAge}::bigint * interval '1 millisecond'`;
}

/** The SLA table as the JSON parameter `overdueStatesSql` reads. */
export function slaRulesParam(rules: readonly SlaRule[]): string {
  return JSON.stringify(rules.map((r) => ({ type: r.type, version: r.version, state: r.state, max_ms: r.maxDurationMs })));
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
  private readonly rules: string;
  /** The types that declare an SLA: an overdue search looks at their instances only (an indexed column). */
  private readonly slaTypes: string[];
  private readonly retryAlertMs: number;

  constructor(
    private readonly db: DataSource,
    options: QueryOptions = {},
  ) {
    this.rules = slaRulesParam(options.slaRules ?? []);
    this.slaTypes = [...new Set((options.slaRules ?? []).map((r) => r.type))];
    this.retryAlertMs = options.retryAlertMs ?? 300_000;
  }

  /** One of the scope's tenant's workflows, by the id that tenant knows it by; another tenant's is as absent as a missing one. */
  async get(scope: TenantScope, id: string): Promise<WorkflowView & { incidents: IncidentView[]; heldInputs: number }> {
    const [row] = await query<InstanceRow>(this.db, 'SELECT * FROM workflow_instance WHERE id = $1 AND tenant = $2', [scope.workflowKey(id), scope.tenant]);
    if (!row) throw new DomainError('workflow_not_found', `no workflow ${id}`, { workflowId: id });
    const incidents = row.open_incidents > 0
      ? await query<IncidentRow>(this.db, `SELECT * FROM incident WHERE workflow_id = $1 AND status = 'open' ORDER BY created_at`, [row.id])
      : [];
    return { ...toView(row), incidents: incidents.map(toIncidentView), heldInputs: row.held_inputs };
  }

  /**
   * The conditions of a filter on instance `w` (the list's and a batch's), with `param`
   * adding each value; the overdue and retrying filters need the SLA table and threshold.
   */
  conditions(scope: TenantScope, filter: WorkflowFilter, param: (value: unknown) => string): string[] {
    const where: string[] = [];
    where.push(`w.tenant = ${param(scope.tenant)}`);
    if (filter.type) where.push(`w.type = ${param(filter.type)}`);
    if (filter.status) where.push(`w.status = ${param(filter.status)}`);
    if (filter.outcome) where.push(`w.outcome = ${param(filter.outcome)}`);
    if (filter.state) where.push(`${param(filter.state)} = ANY(w.state_paths)`);
    if (filter.businessKey) where.push(`w.business_key = ${param(filter.businessKey)}`);
    if (filter.createdAfter) where.push(`w.created_at >= ${param(filter.createdAfter)}::timestamptz`);
    if (filter.createdBefore) where.push(`w.created_at < ${param(filter.createdBefore)}::timestamptz`);
    if (filter.hasIncident !== undefined) where.push(filter.hasIncident ? 'w.open_incidents > 0' : 'w.open_incidents = 0');
    if (filter.overdue) where.push(`w.type = ANY(${param(this.slaTypes)}::text[]) AND ${ACTIVE} AND EXISTS (${overdueStatesSql(param(this.rules))})`);
    if (filter.retrying) where.push(`${ACTIVE} AND EXISTS (${retryingActivitiesSql(param(this.retryAlertMs))})`);
    return where;
  }

  /** Newest first; the cursor is the (created_at, id) of the last item seen, whatever the filters. */
  async list(scope: TenantScope, filter: ListFilter): Promise<Page<ListedWorkflow>> {
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = this.conditions(scope, filter, param);
    const columns = ['w.*', `${cursorAtSql('w.created_at')} AS cursor_at`];
    if (filter.overdue) {
      const overdue = overdueStatesSql(param(this.rules));
      columns.push(`(SELECT jsonb_agg(jsonb_build_object('state', o.state, 'enteredAt', o.entered_at, 'maxDurationMs', o.max_ms, 'overdueByMs', o.overdue_ms)
                     ORDER BY o.overdue_ms DESC) FROM (${overdue}) o) AS overdue_states`);
    }
    if (filter.retrying) {
      const retrying = retryingActivitiesSql(param(this.retryAlertMs));
      columns.push(`(SELECT jsonb_agg(jsonb_build_object('activityId', r.child_id, 'activity', r.src, 'attempts', r.attempts, 'since', r.created_at, 'lastError', r.last_error)
                     ORDER BY r.created_at) FROM (${retrying}) r) AS retrying_activities`);
    }
    if (filter.cursor) {
      const { at, id } = workflowCursor.decode(filter.cursor);
      where.push(`(w.created_at, w.id) < (${param(at)}::timestamptz, ${param(id)})`);
    }
    const rows = await query<InstanceRow & { cursor_at: string; overdue_states?: any[] | null; retrying_activities?: any[] | null }>(
      this.db,
      `SELECT ${columns.join(', ')} FROM workflow_instance w ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY w.created_at DESC, w.id DESC LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => ({
        ...toView(row),
        ...(filter.overdue ? { overdue: (row.overdue_states ?? []).map(toOverdueState) } : {}),
        ...(filter.retrying ? { retrying: (row.retrying_activities ?? []).map(toRetrying) } : {}),
      })),
      nextCursor: rows.length > filter.limit && last ? workflowCursor.encode(last.cursor_at, last.id) : null,
    };
  }

  /** Instances past an SLA now, counted by type and state (the overdue gauge). */
  async overdueCounts(): Promise<{ type: string; state: string; count: number }[]> {
    if (this.slaTypes.length === 0) return [];
    const rows = await query<{ type: string; state: string; count: string }>(
      this.db,
      `SELECT w.type, o.state, count(*) AS count FROM workflow_instance w CROSS JOIN LATERAL (${overdueStatesSql('$1')}) o
        WHERE w.type = ANY($2::text[]) AND ${ACTIVE} GROUP BY w.type, o.state`,
      [this.rules, this.slaTypes],
    );
    return rows.map((r) => ({ type: r.type, state: r.state, count: Number(r.count) }));
  }

  /** Activities retrying for longer than the alert threshold, counted by type and activity. */
  async retryingCounts(): Promise<{ type: string; activity: string; count: number }[]> {
    // From the outstanding activities (a partial index), not from every active instance.
    const rows = await query<{ type: string; activity: string; count: string }>(
      this.db,
      `SELECT w.type, a.src AS activity, count(*) AS count FROM activity a JOIN workflow_instance w ON w.id = a.workflow_id
        WHERE a.status = 'scheduled' AND a.attempts >= 1 AND a.created_at < now() - $1::bigint * interval '1 millisecond'
          AND ${ACTIVE} GROUP BY w.type, a.src`,
      [this.retryAlertMs],
    );
    return rows.map((r) => ({ type: r.type, activity: r.activity, count: Number(r.count) }));
  }

  /** Open incidents by type and kind (the incidents gauge), of one tenant or of all. */
  async incidentCounts(tenant?: string): Promise<{ type: string; kind: string; count: number }[]> {
    const rows = await query<{ type: string; kind: string; count: string }>(
      this.db,
      `SELECT type, kind, count(*) AS count FROM incident WHERE status = 'open' ${tenant ? 'AND tenant = $1' : ''} GROUP BY type, kind`,
      tenant ? [tenant] : [],
    );
    return rows.map((r) => ({ type: r.type, kind: r.kind, count: Number(r.count) }));
  }

  /** Paused workflows by type. */
  async pausedCounts(): Promise<{ type: string; count: number }[]> {
    const rows = await query<{ type: string; count: string }>(this.db, `SELECT type, count(*) AS count FROM workflow_instance WHERE status = 'paused' GROUP BY type`);
    return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
  }

  async history(scope: TenantScope, id: string): Promise<HistoryEntry[]> {
    await this.get(scope, id);
    const rows = await query<any>(this.db, 'SELECT * FROM workflow_history WHERE workflow_id = $1 ORDER BY seq', [scope.workflowKey(id)]);
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

function toOverdueState(o: any): OverdueState {
  return { state: o.state, enteredAt: new Date(o.enteredAt).toISOString(), maxDurationMs: Number(o.maxDurationMs), overdueByMs: Number(o.overdueByMs) };
}

function toRetrying(r: any): RetryingActivity {
  return { activityId: r.activityId, activity: r.activity, attempts: Number(r.attempts), since: new Date(r.since).toISOString(), lastError: r.lastError ?? null };
}
