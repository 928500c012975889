import { useEffect, useId, useState } from 'react';
import { api, enc, type Problem } from '../api';
import { ACTION_LABELS, asProblem, principalName, type Approval, type Incident } from '../operations';
import { href } from '../router';
import { ProblemAlert } from './ProblemAlert';
import { formatTime, StatusBadge } from './Status';

/** The incident an approval is about, linked to its workflow (fetched: the approval names only the incident). */
function IncidentTarget({ id }: { id: string }) {
  const [incident, setIncident] = useState<Incident>();
  useEffect(() => {
    api<Incident>(`/v1/incidents/${enc(id)}`)
      .then(setIncident)
      .catch(() => setIncident(undefined));
  }, [id]);
  return (
    <>
      incident <span className="mono small">{id.slice(0, 8)}</span>
      {incident && (
        <>
          {' '}
          of <a href={href(`/workflows/${enc(incident.workflowId)}`)}>{incident.workflowId}</a>
        </>
      )}
    </>
  );
}

export function ApprovalTarget({ target }: { target: Approval['target'] }) {
  if (target.workflowId) return <a href={href(`/workflows/${enc(target.workflowId)}`)}>{target.workflowId}</a>;
  if (target.incidentId) return <IncidentTarget id={target.incidentId} />;
  if (target.batch) {
    return (
      <>
        {target.batch.action ?? 'batch'} of the workflows matching <code>{JSON.stringify(target.batch.filter ?? {})}</code>
      </>
    );
  }
  return <span className="muted">—</span>;
}

function resultLine(result: unknown): string | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const r = result as { ok?: boolean; error?: { code?: string; message?: string } };
  if (r.error) return `the action failed: ${r.error.message ?? r.error.code ?? 'unknown error'}`;
  if (r.ok) return 'carried out';
  return undefined;
}

/**
 * One operator approval: what, on what, why and by whom; while pending, who may decide
 * (another operator) approves or rejects it with an optional reason. The requester sees
 * the buttons too: the API refuses a self-approval in its own words.
 */
export function ApprovalCard({
  approval: a,
  canDecide,
  onDecide,
}: {
  approval: Approval;
  canDecide: boolean;
  /** Throws the API's refusal, shown on the card. */
  onDecide?: (approval: Approval, decision: 'approve' | 'reject', reason: string) => Promise<void>;
}) {
  const reasonId = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const result = resultLine(a.result);

  const decide = async (decision: 'approve' | 'reject') => {
    if (!onDecide) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await onDecide(a, decision, reason.trim());
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className={`card approval approval-${a.status}`} aria-label={`${ACTION_LABELS[a.action]} requested by ${principalName(a.requestedBy)}`}>
      <div className="approval-head">
        <h3>
          {ACTION_LABELS[a.action]} · <ApprovalTarget target={a.target} />
        </h3>
        <StatusBadge status={a.status} />
      </div>
      <p className="approval-reason">“{a.reason}”</p>
      <ul className="task-facts small">
        <li>
          requested by <strong>{principalName(a.requestedBy)}</strong> at {formatTime(a.requestedAt)}
        </li>
        {a.status === 'pending' ? (
          <li>waiting for a second operator · expires {formatTime(a.expiresAt)}</li>
        ) : (
          <li>
            {a.status} {a.decidedBy ? `by ${principalName(a.decidedBy)}` : ''} at {formatTime(a.decidedAt)}
            {a.decisionReason ? ` — “${a.decisionReason}”` : ''}
          </li>
        )}
        {result && <li>{result}</li>}
      </ul>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(undefined)} />
      {a.status === 'pending' && canDecide && onDecide && (
        <div className="approval-decide">
          <div className="field">
            <label htmlFor={reasonId}>Decision note</label>
            <input id={reasonId} value={reason} maxLength={1000} placeholder="optional" onChange={(e) => setReason(e.target.value)} />
          </div>
          <div className="row">
            <button type="button" disabled={busy} onClick={() => void decide('approve')}>
              Approve
            </button>
            <button type="button" className="danger-outline" disabled={busy} onClick={() => void decide('reject')}>
              Reject
            </button>
          </div>
        </div>
      )}
    </article>
  );
}
