import { useState, type FormEvent } from 'react';
import { api, ApiError, enc, type Problem } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';
import { fieldErrors, SchemaFields } from '../components/SchemaForm';
import { FormInputError, initialValues, toPayload, type FormValues, type JsonSchema } from '../components/schema-form';
import { formatDuration, formatTime, StatusBadge } from '../components/Status';
import { useMe } from '../me';
import { href } from '../router';

export interface Task {
  id: string;
  workflowId: string;
  workflowType: string;
  title: string;
  candidateGroups: string[];
  decisions: string[];
  form: JsonSchema | null;
  /** The business facts the task declares, as they were when it opened. */
  summary?: { label: string; path: string; value: unknown }[];
  fourEyes: boolean;
  status: string;
  claimedBy: string | null;
  completedBy: string | null;
  decision: string | null;
  dueAt: string | null;
  overdue: boolean;
  escalated: boolean;
  createdAt: string;
  closeReason: string | null;
}

/** A money amount (`{value, currency}`, value in minor units) as the currency writes it; anything else as text. */
function factText(value: unknown): string {
  const m = value as { value?: unknown; currency?: unknown } | null;
  if (m && typeof m === 'object' && typeof m.value === 'number' && typeof m.currency === 'string') {
    try {
      const digits = new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency }).resolvedOptions().maximumFractionDigits ?? 2;
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency }).format(m.value / 10 ** digits);
    } catch {
      return `${m.value} ${m.currency}`;
    }
  }
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.length ? value.map(factText).join(', ') : 'none';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const asProblem = (err: unknown): Problem => (err instanceof ApiError ? err.problem : err instanceof FormInputError ? { title: 'The form has errors', status: 0, errors: err.errors } : { title: 'Unexpected error', status: 0, detail: String(err) });

/** One task: claim, unclaim, and a decision with the task's form; refusals (four-eyes too) as the API words them. */
export function TaskCard({ task, onChanged }: { task: Task; onChanged: () => void }) {
  const me = useMe();
  const [decision, setDecision] = useState('');
  const [values, setValues] = useState<FormValues>(() => (task.form ? initialValues(task.form) : {}));
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const open = task.status === 'open';

  const act = async (path: string, body?: unknown) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await api(`/v1/tasks/${enc(task.id)}/${path}`, { method: 'POST', body });
      onChanged();
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };

  const complete = (e: FormEvent) => {
    e.preventDefault();
    try {
      void act('complete', { decision, data: task.form ? toPayload(task.form, values) : {} });
    } catch (err) {
      setProblem(asProblem(err));
    }
  };

  const label = `${task.title} — ${task.workflowId}`;
  return (
    <article className={`card task${task.overdue ? ' task-overdue' : ''}`} aria-label={label}>
      <header className="task-head">
        <h2>{task.title}</h2>
        <StatusBadge status={task.status} />
      </header>
      <p className="small">
        <a className="mono" href={href(`/workflows/${enc(task.workflowId)}`)}>
          {task.workflowId}
        </a>{' '}
        <span className="muted">· {task.workflowType}</span>
      </p>
      {task.summary && task.summary.length > 0 && (
        <dl className="facts task-summary" aria-label={`Facts of ${label}`}>
          {task.summary.map((f) => (
            <div key={f.path}>
              <dt title={f.path}>{f.label}</dt>
              <dd>{factText(f.value)}</dd>
            </div>
          ))}
        </dl>
      )}
      <ul className="task-facts small">
        <li>for {task.candidateGroups.join(', ')}</li>
        <li>{task.claimedBy ? `claimed by ${task.claimedBy}` : 'unclaimed'}</li>
        {task.dueAt && <li className={task.overdue ? 'overdue' : ''}>{task.overdue ? `overdue by ${formatDuration(Date.now() - Date.parse(task.dueAt))}` : `due ${formatTime(task.dueAt)}`}</li>}
        {task.fourEyes && <li className="tag">four-eyes</li>}
        {task.escalated && <li className="tag">escalated</li>}
        {task.completedBy && <li>decided {task.decision} by {task.completedBy}</li>}
        {task.closeReason && <li>{task.closeReason}</li>}
      </ul>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(undefined)} />
      {open && (
        <>
          <div className="row">
            {task.claimedBy === me.id ? (
              <button type="button" className="secondary" disabled={busy} onClick={() => void act('unclaim')}>
                Unclaim
              </button>
            ) : (
              <button type="button" className="secondary" disabled={busy || task.claimedBy !== null} onClick={() => void act('claim')}>
                Claim
              </button>
            )}
          </div>
          <form onSubmit={complete} aria-label={`Decide ${label}`} noValidate>
            <fieldset className="fieldset">
              <legend>Decision</legend>
              <div className="row">
                {task.decisions.map((d) => (
                  <label key={d} className="radio">
                    <input type="radio" name={`decision-${task.id}`} value={d} checked={decision === d} onChange={() => setDecision(d)} /> {d}
                  </label>
                ))}
              </div>
            </fieldset>
            {task.form && <SchemaFields schema={task.form} values={values} onChange={setValues} errors={fieldErrors(problem?.errors, 'data')} />}
            <button type="submit" disabled={!decision || busy}>
              Complete task
            </button>
          </form>
        </>
      )}
    </article>
  );
}
