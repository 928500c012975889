/** Statuses a workflow does not leave. */
export const ENDED_STATUSES: readonly string[] = ['completed', 'failed', 'cancelled', 'terminated'];

/** Every workflow status, in the order the console lists them. */
export const WORKFLOW_STATUSES = ['running', 'waiting', 'paused', 'completed', 'failed', 'cancelled', 'terminated'] as const;

/** Business outcomes of ended workflows, in the order the console lists them. */
export const WORKFLOW_OUTCOMES = ['success', 'rejection', 'failure', 'cancelled'] as const;

/** An ended workflow's business outcome beside its status: "completed" says the process ran, this what it came to. */
export function OutcomeBadge({ outcome }: { outcome: string | null | undefined }) {
  if (!outcome) return null;
  return <span className={`badge outcome-${outcome}`}>{outcome}</span>;
}

/** A workflow or task status as a coloured pill; the word is the text, the colour only a hint. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

/** A state value: `"awaitingSettlement"` or `{"underwriting": "review"}` as `underwriting.review`. */
export function stateLabel(state: unknown): string {
  if (typeof state === 'string') return state;
  if (state && typeof state === 'object') {
    return Object.entries(state as Record<string, unknown>)
      .map(([k, v]) => (v && (typeof v === 'string' || typeof v === 'object') ? `${k}.${stateLabel(v)}` : k))
      .join(', ');
  }
  return '—';
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "3 min 12 s", for how long something is overdue or waits. */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
