import { href } from '../router';
import { formatDuration, formatTime, OutcomeBadge, stateLabel, StatusBadge } from './Status';

export interface WorkflowRow {
  id: string;
  type: string;
  definitionVersion: number;
  businessKey: string | null;
  status: string;
  /** The business outcome once ended (success, rejection, failure, cancelled). */
  outcome?: string | null;
  state: unknown;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  [extra: string]: unknown;
}

const ISO = /^\d{4}-\d{2}-\d{2}T/;

function describe(key: string, value: unknown): string {
  if (typeof value === 'number' && /ms$/i.test(key)) return formatDuration(value);
  if (typeof value === 'string' && ISO.test(value)) return formatTime(value);
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} ${describe(k, v)}`)
      .join(', ');
  }
  return String(value);
}

/**
 * Overdue and retrying details the list carries: `overdue` (states past their SLA, by how
 * long) and `retrying` (activities still failing); any other `overdue…`/`retrying…` field is
 * shown as it comes.
 */
function attention(row: WorkflowRow): string[] {
  const notes: string[] = [];
  const overdue = Array.isArray(row.overdue) ? (row.overdue as { state?: string; overdueByMs?: number }[]) : [];
  const retrying = Array.isArray(row.retrying) ? (row.retrying as { activity?: string; attempts?: number; lastError?: string | null }[]) : [];
  for (const o of overdue) notes.push(`overdue in ${o.state ?? '?'}${typeof o.overdueByMs === 'number' ? ` by ${formatDuration(o.overdueByMs)}` : ''}`);
  for (const r of retrying) notes.push(`retrying ${r.activity ?? '?'}${r.attempts ? ` (${r.attempts} failed attempts)` : ''}${r.lastError ? `: ${r.lastError}` : ''}`);
  for (const [key, value] of Object.entries(row)) {
    if (Array.isArray(value) && (key === 'overdue' || key === 'retrying')) continue;
    if (!/^(overdue|retrying|retries)/i.test(key) || value === false || value === null || value === undefined) continue;
    notes.push(value === true ? key : `${key}: ${describe(key, value)}`);
  }
  return notes;
}

/** Workflows as a table: id links to the workflow page. */
export function WorkflowTable({ items, empty, compact }: { items: WorkflowRow[] | undefined; empty: string; compact?: boolean }) {
  if (!items) return <p className="muted">Loading…</p>;
  if (!items.length) return <p className="muted">{empty}</p>;
  return (
    <table className={`table${compact ? ' compact' : ''}`}>
      <thead>
        <tr>
          <th scope="col">workflow</th>
          <th scope="col">type</th>
          <th scope="col">status</th>
          <th scope="col">state</th>
          {!compact && <th scope="col">business key</th>}
          <th scope="col">{compact ? 'updated' : 'created'}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((w) => {
          const notes = attention(w);
          return (
            <tr key={w.id}>
              <td>
                <a className="mono" href={href(`/workflows/${encodeURIComponent(w.id)}`)}>
                  {w.id}
                </a>
                {notes.length > 0 && <div className="overdue small">{notes.join(' · ')}</div>}
              </td>
              <td>
                {w.type} <span className="muted">v{w.definitionVersion}</span>
              </td>
              <td>
                <StatusBadge status={w.status} /> <OutcomeBadge outcome={w.outcome} />
              </td>
              <td className="mono small">{stateLabel(w.state)}</td>
              {!compact && <td>{w.businessKey ?? <span className="muted">—</span>}</td>}
              <td className="small">{formatTime(compact ? w.updatedAt : w.createdAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
