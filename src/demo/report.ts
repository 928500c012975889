import type { LedgerTotals, PartnerStats, SandboxStats } from '../sandbox/client';
import { mapLimit, statePath, TERMINAL, type StateraApi, type WorkflowView } from './api';

export interface OutcomeRow {
  type: string;
  status: string;
  /** output.outcome when completed; the error for a failed workflow; the state for one still open. */
  outcome: string;
  count: number;
}

export interface PartnerTotals {
  received: number;
  injectedErrors: number;
  injectedTimeouts: number;
  replays: number;
  receivedByPartner: Record<string, number>;
}

export interface LedgerCheck {
  balanced: boolean;
  /** Every currency's ledger total is what it was before the run (double entry: money was only moved). */
  unchanged: boolean;
  before: Record<string, number>;
  after: Record<string, number>;
}

export interface Descendants {
  /** Child workflows the roots started (a payment's fraud check, a loan's KYC and disbursement...), by type. */
  childrenByType: Record<string, number>;
  /** `activity.attempt.failed` records in every history of the run: attempts that failed and were retried. */
  attemptsRetried: number;
}

export function outcomeOf(w: WorkflowView | undefined): string {
  if (!w) return '(never read)';
  if (!TERMINAL.has(w.status)) return `(${statePath(w.state)})`;
  const outcome = w.output?.outcome;
  if (typeof outcome === 'string') return outcome;
  const error = w.error as { name?: string } | null;
  return error?.name ? `error: ${error.name}` : '-';
}

export function outcomeTable(roots: readonly { type: string; workflowId: string }[], views: ReadonlyMap<string, WorkflowView>): OutcomeRow[] {
  const rows = new Map<string, OutcomeRow>();
  for (const r of roots) {
    const w = views.get(r.workflowId);
    const row = { type: r.type, status: w?.status ?? 'unknown', outcome: outcomeOf(w), count: 0 };
    const key = `${row.type}|${row.status}|${row.outcome}`;
    (rows.get(key) ?? rows.set(key, row).get(key)!).count++;
  }
  return [...rows.values()].sort((a, b) => a.type.localeCompare(b.type) || b.count - a.count || a.outcome.localeCompare(b.outcome));
}

/** Walks every root's history and, through its `child.started` records, its children's. */
export async function collectDescendants(api: StateraApi, rootIds: readonly string[]): Promise<Descendants> {
  const result: Descendants = { childrenByType: {}, attemptsRetried: 0 };
  let level = [...rootIds];
  while (level.length > 0) {
    const histories = await mapLimit(level, 8, (id) => api.history(id));
    level = [];
    for (const history of histories) {
      for (const record of history) {
        if (record.kind === 'activity.attempt.failed') result.attemptsRetried++;
        if (record.kind === 'child.started' && typeof record.data?.childWorkflowId === 'string') {
          level.push(record.data.childWorkflowId);
          const type = String(record.data.childType);
          result.childrenByType[type] = (result.childrenByType[type] ?? 0) + 1;
        }
      }
    }
  }
  return result;
}

/** Differences, so a sandbox that served earlier runs (or other people) still reports this run's share. */
export function partnerTotals(before: SandboxStats, after: SandboxStats): PartnerTotals {
  const delta = (name: string, field: keyof PartnerStats) =>
    (after.partners as Record<string, PartnerStats>)[name][field] - ((before.partners as Record<string, PartnerStats | undefined>)[name]?.[field] ?? 0);
  const names = Object.keys(after.partners);
  const sum = (field: keyof PartnerStats) => names.reduce((n, name) => n + delta(name, field), 0);
  return {
    received: sum('received'),
    injectedErrors: sum('injectedErrors'),
    injectedTimeouts: sum('injectedTimeouts'),
    replays: sum('replays'),
    receivedByPartner: Object.fromEntries(names.map((name) => [name, delta(name, 'received')])),
  };
}

export function ledgerCheck(before: LedgerTotals, after: LedgerTotals): LedgerCheck {
  const totals = (t: LedgerTotals) => Object.fromEntries(Object.entries(t.currencies).map(([c, v]) => [c, v.total]));
  const b = totals(before);
  const a = totals(after);
  const currencies = new Set([...Object.keys(b), ...Object.keys(a)]);
  return { balanced: after.balanced, unchanged: [...currencies].every((c) => (b[c] ?? 0) === (a[c] ?? 0)), before: b, after: a };
}

export interface ReportInput {
  runId: string;
  rows: OutcomeRow[];
  descendants: Descendants;
  partners: PartnerTotals;
  ledger: LedgerCheck;
  signals: { sent: number; refused: number };
  elapsedMs: number;
}

const list = (record: Record<string, number>) =>
  Object.entries(record)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The table by type and ending, then the partner, retry and ledger figures. */
export function renderReport(r: ReportInput): string {
  const header = { type: 'type', status: 'status', outcome: 'outcome', count: 'count' };
  const width = (k: 'type' | 'status' | 'outcome') => Math.max(header[k].length, ...r.rows.map((row) => row[k].length));
  const [wt, ws, wo] = [width('type'), width('status'), width('outcome')];
  const line = (t: string, s: string, o: string, n: string) => `  ${t.padEnd(wt)}  ${s.padEnd(ws)}  ${o.padEnd(wo)}  ${n.padStart(5)}`;
  const total = r.rows.reduce((n, row) => n + row.count, 0);
  const out = [`\nrun ${r.runId} — ${(r.elapsedMs / 1000).toFixed(1)} s`, line(header.type, header.status, header.outcome, header.count)];
  let previous = '';
  for (const row of r.rows) {
    out.push(line(row.type === previous ? '' : row.type, row.status, row.outcome, String(row.count)));
    previous = row.type;
  }
  out.push(line('total', '', '', String(total)));
  const currencies = Object.entries(r.ledger.after).map(([c, v]) => `${c} ${v}`).join(', ');
  out.push(
    '',
    `  child workflows           ${list(r.descendants.childrenByType) || 'none'}`,
    `  signals sent              ${r.signals.sent}${r.signals.refused ? ` (+${r.signals.refused} refused: the state had moved on)` : ''}`,
    `  partner calls received    ${r.partners.received} (${list(r.partners.receivedByPartner)})`,
    `  injected errors/timeouts  ${r.partners.injectedErrors} / ${r.partners.injectedTimeouts}`,
    `  idempotent replays        ${r.partners.replays}`,
    `  activity attempts retried ${r.descendants.attemptsRetried}`,
    `  ledger                    ${r.ledger.balanced ? 'balanced' : 'NOT BALANCED'}, per-currency totals ${r.ledger.unchanged ? 'unchanged' : 'CHANGED'} (${currencies})`,
  );
  return `${out.join('\n')}\n`;
}
