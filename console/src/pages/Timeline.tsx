import { api, enc } from '../api';
import { JsonView } from '../components/JsonView';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatDuration, stateLabel } from '../components/Status';
import { hasRole, useMe } from '../me';
import { LIVE_FALLBACK_POLL_MS, useLive } from '../live';
import { POLL_MS, usePoll } from '../poll';
import { href } from '../router';

export interface HistoryEntry {
  seq: number;
  recordedAt: string;
  kind: string;
  actor: string;
  event: { type?: string; error?: { message?: string }; [k: string]: unknown } | null;
  stateBefore: unknown;
  stateAfter: unknown;
  outcome: string;
  reason: string | null;
  idempotencyKey?: string | null;
  origin?: unknown;
  data?: Record<string, any> | null;
  hash: string;
}

/** "14:02:07.123", with the date when it is not today: history records are milliseconds apart. */
export function formatTimeMs(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false } as Intl.DateTimeFormatOptions);
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString(undefined, { dateStyle: 'medium' })} ${time}`;
}

/** "230 ms", "4.2 s", then minutes and more. */
export function formatSpan(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

interface Named {
  /** What a record is about: `reserveFunds (bank.reserve)`, a timer's send id, a task's title. */
  subject: Map<number, string>;
  /** How long after what it answers (the scheduling of its activity, the setting of its timer, the task's creation). */
  after: Map<number, number>;
}

/** A child's id as the API names it: the stored id without its tenant prefix. */
const childId = (stored: string) => (stored.includes('/') ? stored.slice(stored.indexOf('/') + 1) : stored);

const invocationOf = (h: HistoryEntry): string | undefined => h.data?.invocationId;

/** Names and durations, from the records that started what each record answers. */
function nameRecords(items: HistoryEntry[]): Named {
  const activities = new Map<string, { name: string; at: number }>();
  const timers = new Map<string, { name: string; at: number }>();
  const tasks = new Map<string, { name: string; at: number }>();
  const subject = new Map<number, string>();
  const after = new Map<number, number>();
  for (const h of items) {
    const at = Date.parse(h.recordedAt);
    const d = h.data ?? {};
    if (h.kind === 'activity.scheduled' || h.kind === 'child.started') {
      const name = d.src && d.activityId && d.src !== d.activityId ? `${d.activityId} (${d.src})` : (d.activityId ?? d.src ?? d.childWorkflowId ?? '');
      if (d.invocationId) activities.set(d.invocationId, { name, at });
      subject.set(h.seq, name);
      continue;
    }
    if (h.kind === 'timer.set') {
      timers.set(d.timerId, { name: d.sendId ?? 'timer', at });
      subject.set(h.seq, `${d.sendId ?? 'timer'}${typeof d.delayMs === 'number' ? `, in ${formatSpan(d.delayMs)}` : ''}`);
      continue;
    }
    if (h.kind === 'task.created') {
      tasks.set(d.taskId, { name: d.title ?? d.taskId, at });
      subject.set(h.seq, d.title ?? d.taskId);
      continue;
    }
    const started = (invocationOf(h) && activities.get(invocationOf(h)!)) || (d.timerId && timers.get(d.timerId)) || (d.taskId && tasks.get(d.taskId));
    if (started) {
      subject.set(h.seq, started.name);
      if (/(completed|failed|fired|decided)$/.test(h.kind)) after.set(h.seq, at - started.at);
    }
  }
  return { subject, after };
}

/** The message of a record's error, wherever the record keeps it. */
function errorOf(h: HistoryEntry): string | undefined {
  const e = (h.event as any)?.error ?? h.data?.error ?? h.data?.lastError;
  return typeof e?.message === 'string' ? e.message : undefined;
}

/** What a record carries beyond its head line: the event with its payload, and the record's data. */
function payloadOf(h: HistoryEntry): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  if (h.event) out.event = h.event;
  if (h.data && Object.keys(h.data).length) out.data = h.data;
  if (h.idempotencyKey) out.idempotencyKey = h.idempotencyKey;
  if (h.origin) out.origin = h.origin;
  return Object.keys(out).length ? out : null;
}

interface VerifyReport {
  verified: boolean;
  records: number;
  firstFailure?: { seq: number; reason: string };
}

/** The recorded facts as a timeline, with whether the hash chain still verifies (operators and auditors). */
export function Timeline({ id, version }: { id: string; version: number | string | undefined }) {
  // Only operators and auditors read the history, only auditors verify it: a page does not ask to be refused (each refusal is recorded).
  const me = useMe();
  const reader = hasRole(me, 'operator', 'auditor');
  const auditor = hasRole(me, 'auditor');
  // A failed attempt or an effect is recorded without a new version: the live stream reports every commit of the instance.
  const live = useLive(id);
  const history = usePoll(async () => (reader ? api<{ items: HistoryEntry[] }>(`/v1/workflows/${enc(id)}/history`) : { items: [] }), [id, version, reader, live.tick], live.connected ? LIVE_FALLBACK_POLL_MS : POLL_MS, [id]);
  const audit = usePoll(async () => (auditor ? api<VerifyReport>(`/v1/audit/verify?workflowId=${enc(id)}`) : null), [id, version, auditor], null, [id]);
  const report = audit.data;

  return (
    <section className="card" aria-labelledby="history-heading">
      <div className="section-head">
        <h2 id="history-heading">History</h2>
        <div data-testid="audit-chain">
          {report ? (
            report.verified ? (
              <span className="chain chain-ok">✓ audit chain verified ({report.records} records)</span>
            ) : (
              <span className="chain chain-bad">
                ✗ audit chain broken at record {report.firstFailure?.seq}: {report.firstFailure?.reason}
              </span>
            )
          ) : audit.problem ? (
            <span className="muted small">
              audit chain: {audit.problem.title}
              {audit.problem.detail ? ` — ${audit.problem.detail}` : ''}
            </span>
          ) : auditor ? (
            <span className="muted small">verifying…</span>
          ) : (
            <span className="muted small">audit chain: verified by auditors</span>
          )}
        </div>
      </div>
      <ProblemAlert problem={history.problem} />
      {history.data && <Gantt items={history.data.items} />}
      {history.data && <Records items={history.data.items} />}
    </section>
  );
}

function Records({ items }: { items: HistoryEntry[] }) {
  const named = nameRecords(items);
  return (
    <ol className="timeline" aria-label="History">
      {items.map((h) => {
        const payload = payloadOf(h);
        const error = errorOf(h);
        const subject = named.subject.get(h.seq);
        const after = named.after.get(h.seq);
        return (
          <li key={h.seq} className={`tl tl-${h.outcome}`}>
            <div className="tl-head">
              <span className="tl-seq">#{h.seq}</span>
              <strong>{h.kind}</strong>
              {subject && <span className="tl-subject">{subject}</span>}
              {h.data?.childWorkflowId && (
                <a className="mono small" href={href(`/workflows/${enc(childId(h.data.childWorkflowId))}`)} aria-label={`child workflow ${childId(h.data.childWorkflowId)}`}>
                  → {childId(h.data.childWorkflowId)}
                </a>
              )}
              {h.event?.type && <code>{h.event.type}</code>}
              <span className={`outcome outcome-${h.outcome}`}>{h.outcome}</span>
              {after !== undefined && <span className="muted small">after {formatSpan(after)}</span>}
              <time className="muted small mono" dateTime={h.recordedAt}>
                {formatTimeMs(h.recordedAt)}
              </time>
            </div>
            <div className="tl-body small">
              <span>by {h.actor}</span>
              {h.stateAfter !== null && JSON.stringify(h.stateBefore) !== JSON.stringify(h.stateAfter) && (
                <span className="mono">
                  {' '}
                  · {stateLabel(h.stateBefore)} → {stateLabel(h.stateAfter)}
                </span>
              )}
              {h.reason && <span> · {h.reason}</span>}
              {error && error !== h.reason && <span className="tl-error"> · {error}</span>}
              <span className="hash mono" title={h.hash}>
                {h.hash.slice(0, 12)}
              </span>
            </div>
            {payload && (
              <details className="tl-payload">
                <summary>payload</summary>
                <JsonView label={`Payload of record ${h.seq}`} value={payload} />
              </details>
            )}
          </li>
        );
      })}
    </ol>
  );
}

interface Bar {
  key: string;
  kind: 'activity' | 'timer' | 'task' | 'child';
  name: string;
  start: number;
  end: number | null;
  outcome: 'ok' | 'failed' | 'open' | 'cancelled';
  /** Failed attempts, at their times. */
  retries: number[];
}

/** Activities, their retries, timers and tasks over time, one bar each (what waited on what, and for how long). */
function barsOf(items: HistoryEntry[]): Bar[] {
  const bars = new Map<string, Bar>();
  for (const h of items) {
    const at = Date.parse(h.recordedAt);
    const d = h.data ?? {};
    const open = (key: string, kind: Bar['kind'], name: string) => bars.set(key, { key, kind, name, start: at, end: null, outcome: 'open', retries: [] });
    const close = (key: string | undefined, outcome: Bar['outcome']) => {
      const b = key ? bars.get(key) : undefined;
      if (b && b.end === null) Object.assign(b, { end: at, outcome });
    };
    if (h.kind === 'activity.scheduled') open(`a:${d.invocationId}`, 'activity', d.activityId ?? d.src);
    else if (h.kind === 'child.started') open(`a:${d.invocationId}`, 'child', d.childWorkflowId ?? d.activityId ?? 'child');
    else if (h.kind === 'activity.attempt.failed') bars.get(`a:${d.invocationId}`)?.retries.push(at);
    else if (h.kind === 'activity.completed' || h.kind === 'child.completed') close(`a:${d.invocationId}`, 'ok');
    else if (h.kind === 'activity.failed' || h.kind === 'child.failed') close(`a:${d.invocationId}`, 'failed');
    else if (h.kind === 'activity.cancelled' || h.kind === 'child.cancelled') close(`a:${d.invocationId}`, 'cancelled');
    else if (h.kind === 'timer.set') open(`t:${d.timerId}`, 'timer', d.sendId ?? 'timer');
    else if (h.kind === 'timer.fired') close(`t:${d.timerId}`, 'ok');
    else if (h.kind === 'timer.cancelled') close(`t:${d.timerId}`, 'cancelled');
    else if (h.kind === 'task.created') open(`k:${d.taskId}`, 'task', d.title ?? 'task');
    else if (h.kind === 'task.completed') close(`k:${d.taskId}`, 'ok');
    else if (h.kind === 'task.closed') close(`k:${d.taskId}`, 'cancelled');
    // The workflow's end closes whatever was still open at that moment.
    else if (h.kind.startsWith('workflow.') && h.kind !== 'workflow.started') for (const b of bars.values()) if (b.end === null) Object.assign(b, { end: at, outcome: 'cancelled' });
  }
  return [...bars.values()];
}

function Gantt({ items }: { items: HistoryEntry[] }) {
  const bars = barsOf(items);
  if (!bars.length || !items.length) return null;
  const first = Date.parse(items[0].recordedAt);
  const ended = items.some((h) => h.kind.startsWith('workflow.') && h.kind !== 'workflow.started');
  const last = ended ? Date.parse(items[items.length - 1].recordedAt) : Math.max(Date.now(), Date.parse(items[items.length - 1].recordedAt));
  const span = Math.max(1, last - first);
  const pct = (t: number) => `${(((t - first) / span) * 100).toFixed(2)}%`;
  return (
    <figure className="gantt" aria-label="Timeline of activities, timers and tasks">
      <figcaption className="muted small">
        Timeline: {formatSpan(span)} from the first record to {ended ? 'the end' : 'now'}; ✕ marks a failed attempt.
      </figcaption>
      <ul className="plain-list">
        {bars.map((b) => {
          const end = b.end ?? last;
          return (
            <li key={b.key} className="gantt-row" data-testid="timeline-bar">
              <span className="gantt-label small">
                <span className="tag">{b.kind}</span> {b.name} <span className="muted">{b.end === null ? 'still open' : `${b.outcome}, ${formatSpan(end - b.start)}`}</span>
                {b.retries.length > 0 && <span className="overdue"> · {b.retries.length} failed attempt(s)</span>}
              </span>
              <span className="gantt-track">
                <span className={`gantt-bar gantt-${b.outcome}`} style={{ left: pct(b.start), width: `max(3px, calc(${pct(end)} - ${pct(b.start)}))` }} />
                {b.retries.map((r, i) => (
                  <span key={i} className="gantt-retry" style={{ left: pct(r) }} aria-hidden="true">
                    ✕
                  </span>
                ))}
              </span>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
