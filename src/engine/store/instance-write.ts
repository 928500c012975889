import type { HashedRecord } from './history';
import type { InstanceRow } from './instance';
import type { OutboxEntry } from './jobs';
import type { WorkflowStatus } from '../decider/snapshot';
import type { Tx } from './sql';

/** One invocation's row in `activity`, scheduled. */
export interface ActivityInsert {
  id: string;
  workflowId: string;
  childId: string;
  kind: 'activity' | 'workflow';
  src: string;
  seq: number;
  /** JSON text. */
  input: string;
  idempotencyKey: string;
  childWorkflowId: string | null;
  /** Leased to this process for this long (eager dispatch); absent: its job is on BullMQ. */
  leaseMs?: number;
}

/** Collects a statement's parameters; each call returns the placeholder of the value it was given. */
function parameters(): { params: unknown[]; $: (value: unknown) => string } {
  const params: unknown[] = [];
  return { params, $: (value) => `$${params.push(value)}` };
}

const ACTIVITY_COLUMNS = '(id, workflow_id, child_id, kind, src, seq, input, status, idempotency_key, child_workflow_id, lease_until)';
const OUTBOX_INSERT = 'INSERT INTO outbox (workflow_id, queue, op, job_id, payload, run_at) VALUES';

function outboxTuple(e: OutboxEntry, $: (value: unknown) => string): string {
  return `(${[e.workflowId, e.queue, e.op, e.jobId, JSON.stringify(e.payload), e.runAt].map($).join(', ')})`;
}

/** Outbox rows on their own, for a transaction whose instances wrote none with their row; ids in the entries' order. */
export async function insertOutbox(tx: Tx, entries: readonly OutboxEntry[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const { params, $ } = parameters();
  const rows = await tx.rows<{ id: string }>(`${OUTBOX_INSERT} ${entries.map((e) => outboxTuple(e, $)).join(', ')} RETURNING id`, params);
  return rows.map((r) => r.id);
}

function activityTuple(a: ActivityInsert, $: (value: unknown) => string): string {
  const lease = a.leaseMs === undefined ? 'NULL' : `now() + make_interval(secs => ${$(a.leaseMs / 1000)}::float)`;
  return `(${[a.id, a.workflowId, a.childId, a.kind, a.src, a.seq, a.input].map($).join(', ')}, 'scheduled', ${$(a.idempotencyKey)}, ${$(a.childWorkflowId)}, ${lease})`;
}

export async function insertActivities(tx: Tx, rows: readonly ActivityInsert[]): Promise<void> {
  if (rows.length === 0) return;
  const { params, $ } = parameters();
  await tx.rows(`INSERT INTO activity ${ACTIVITY_COLUMNS} VALUES ${rows.map((a) => activityTuple(a, $)).join(', ')}`, params);
}

/** Everything one step writes at its end. */
export interface InstanceWrite {
  row: InstanceRow;
  isNew: boolean;
  /** A terminal status, or `live`: running or waiting, which the database decides from the open invocations. */
  status: WorkflowStatus | 'live';
  stateValue: unknown;
  statePaths: string[];
  stateEntered: Record<string, string>;
  snapshot: unknown;
  version: number;
  history: readonly HashedRecord[];
  outbox: readonly OutboxEntry[];
  /** Activity rows scheduled in this step and not yet written. */
  activities: readonly ActivityInsert[];
}

export interface Written {
  status: WorkflowStatus;
  outboxIds: string[];
}

/**
 * Writes the instance row, its new history records and the transaction's outbox rows in one
 * statement: one round trip instead of four. Data-modifying CTEs all run, read or not, and
 * the history's foreign key is deferred, so a new instance and its first records go together.
 */
export async function writeInstance(tx: Tx, w: InstanceWrite): Promise<Written> {
  return (await writeInstances(tx, [w]))[0];
}

/** Parameters per statement at most, well below PostgreSQL's 65,535. */
const MAX_PARAMS = 20_000;

/**
 * Several instances' writes (distinct instances of one transaction) in as few statements as
 * fit: each instance's CTEs as writeInstance would send them, named apart. Results in order.
 */
export async function writeInstances(tx: Tx, writes: readonly InstanceWrite[]): Promise<Written[]> {
  const out: Written[] = [];
  for (let i = 0; i < writes.length; ) {
    const { params, $ } = parameters();
    const parts: { ctes: string[]; select: string }[] = [];
    // One instance at least per statement, then as many as stay under the limit.
    while (i < writes.length && (parts.length === 0 || params.length + paramsOf(writes[i]) <= MAX_PARAMS)) {
      parts.push(instanceCtes(writes[i], $, writes.length === 1 ? '' : String(parts.length)));
      i++;
    }
    const selects = parts.map((p, n) => `SELECT ${parts.length === 1 ? '' : `${n} AS n, `}${p.select}`);
    const rows = await tx.rows<{ n?: number; status: WorkflowStatus; outbox_ids: string[] | null }>(
      `WITH ${parts.flatMap((p) => p.ctes).join(',\n')} ${selects.join(' UNION ALL ')}`,
      params,
    );
    const ordered = parts.length === 1 ? rows : [...rows].sort((x, y) => x.n! - y.n!);
    for (const r of ordered) out.push({ status: r.status, outboxIds: r.outbox_ids ?? [] });
  }
  return out;
}

/** An upper bound of the parameters one instance's write takes. */
function paramsOf(w: InstanceWrite): number {
  return 32 + 15 * w.history.length + 6 * w.outbox.length + 12 * w.activities.length;
}

/** One instance's CTEs, named with `n`, and the select list that returns its status and outbox ids. */
function instanceCtes(w: InstanceWrite, $: (value: unknown) => string, n: string): { ctes: string[]; select: string } {
  const id = $(w.row.id);
  const status =
    w.status === 'live'
      ? `CASE WHEN EXISTS (SELECT 1 FROM activity WHERE workflow_id = ${id} AND (status = 'scheduled' OR status = 'held')) THEN 'running' ELSE 'waiting' END`
      : $(w.status);
  const row = w.row;
  const common: [string, string][] = [
    ['status', status],
    ['state_value', $(JSON.stringify(w.stateValue))],
    ['state_paths', $(w.statePaths)],
    ['state_entered', $(w.stateEntered)],
    ['snapshot', $(w.snapshot)],
    ['version', $(w.version)],
    ['output', $(row.output === undefined || row.output === null ? null : JSON.stringify(row.output))],
    ['error', $(row.error ?? null)],
    ['counters', $(row.counters)],
    ['history_seq', $(w.history.length ? w.history[w.history.length - 1].seq : row.history_seq)],
    ['history_head', $(w.history.length ? w.history[w.history.length - 1].hash : row.history_head)],
    ['cancel_requested', $(row.cancel_requested)],
    ['open_incidents', $(row.open_incidents ?? 0)],
    ['held_inputs', $(row.held_inputs ?? 0)],
    ['ended_at', $(row.ended_at)],
    ['outcome', $(row.outcome ?? null)],
  ];
  const instance = w.isNew
    ? (() => {
        const cols: [string, string][] = [
          ['id', id],
          ...common,
          ['tenant', $(row.tenant)],
          ['type', $(row.type)],
          ['definition_version', $(row.definition_version)],
          ['business_key', $(row.business_key)],
          ['input', $(JSON.stringify(row.input))],
          ['parent_id', $(row.parent_id)],
          ['parent_invocation_id', $(row.parent_invocation_id)],
          ['start_fingerprint', $(row.start_fingerprint)],
        ];
        return `INSERT INTO workflow_instance (${cols.map((c) => c[0]).join(', ')}) VALUES (${cols.map((c) => c[1]).join(', ')}) RETURNING status`;
      })()
    : `UPDATE workflow_instance SET ${common.map(([c, v]) => `${c} = ${v}`).join(', ')}, updated_at = now() WHERE id = ${id} RETURNING status`;

  const ctes = [`w${n} AS (${instance})`];
  if (w.activities.length > 0) ctes.push(`a${n} AS (INSERT INTO activity ${ACTIVITY_COLUMNS} VALUES ${w.activities.map((a) => activityTuple(a, $)).join(', ')})`);
  if (w.history.length > 0) {
    const tuples = w.history.map(
      (r) =>
        `(${[
          r.workflowId, r.seq, r.recordedAt, r.kind, r.actor, r.origin === null ? null : JSON.stringify(r.origin), json(r.event), json(r.stateBefore),
          json(r.stateAfter), r.outcome, r.reason, r.idempotencyKey, json(r.data), r.prevHash, r.hash,
        ].map($).join(', ')})`,
    );
    ctes.push(`h${n} AS (INSERT INTO workflow_history (workflow_id, seq, recorded_at, kind, actor, origin, event, state_before, state_after, outcome,
      reason, idempotency_key, data, prev_hash, hash) VALUES ${tuples.join(', ')})`);
  }
  let outboxIds = `'{}'::text[]`;
  if (w.outbox.length > 0) {
    ctes.push(`o${n} AS (${OUTBOX_INSERT} ${w.outbox.map((e) => outboxTuple(e, $)).join(', ')} RETURNING id)`);
    // bigserial ids are handed out in VALUES order, so ordering by id gives the entries' order back.
    outboxIds = `(SELECT array_agg(id::text ORDER BY id) FROM o${n})`;
  }
  return { ctes, select: `(SELECT status FROM w${n}) AS status, ${outboxIds} AS outbox_ids` };
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
