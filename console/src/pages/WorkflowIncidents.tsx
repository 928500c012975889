import { enc } from '../api';
import { ApprovalCard } from '../components/ApprovalCard';
import { JsonView } from '../components/JsonView';
import { ProblemAlert } from '../components/ProblemAlert';
import { ReasonAction } from '../components/ReasonAction';
import { formatDuration, formatTime, stateLabel, StatusBadge } from '../components/Status';
import { errorLine, inputSummary, KIND_LABELS, operatorAction, useOperatorAction, type Approval, type Incident } from '../operations';
import type { WorkflowView } from './Workflow';

/**
 * A workflow's open incidents: what failed, on which input, since when, how often retried.
 * Operators retry (apply the kept input again, after a fix) or resolve (discard it and go
 * on); everyone else reads. A 202 is shown as what it is: waiting for a second operator.
 */
export function WorkflowIncidents({
  workflow,
  canAct,
  pending,
  onChanged,
  onDecide,
}: {
  workflow: WorkflowView;
  canAct: boolean;
  /** Pending approvals of this workflow's incidents. */
  pending: Approval[];
  onChanged: () => void;
  onDecide: (approval: Approval, decision: 'approve' | 'reject', reason: string) => Promise<void>;
}) {
  const { busy, notice, problem, setProblem, run } = useOperatorAction(onChanged);
  const incidents = workflow.incidents ?? [];

  const act = (incident: Incident, action: 'retry' | 'resolve', reason: string) =>
    run(async () => {
      const outcome = await operatorAction<{ incident: Incident; workflow: WorkflowView }>(`/v1/incidents/${enc(incident.id)}/${action}`, reason);
      if (!outcome.done) return `Waiting for a second operator: the ${action} is kept until another operator approves it`;
      const then =
        action === 'resolve'
          ? 'the kept input is discarded and the workflow goes on'
          : incident.kind === 'activity_exhausted'
            ? 'the activity runs again with a fresh attempt budget'
            : 'the kept input was applied again';
      return `${action === 'retry' ? 'Retried' : 'Resolved'}: the incident is closed; ${then}`;
    });

  if (!incidents.length && !notice && !problem) return null;

  return (
    <section className={`card${incidents.length ? ' incidents' : ''}`} aria-labelledby="incidents-heading">
      <h2 id="incidents-heading">
        Incidents {incidents.length > 0 && <span className="count-badge">{incidents.length} open</span>}
      </h2>
      {incidents.length > 0 && (
        <p className="muted small">
          The workflow keeps its state; inputs that arrive meanwhile are held{workflow.heldInputs ? ` (${workflow.heldInputs} now)` : ''} and applied after the incident is closed.
        </p>
      )}
      <ProblemAlert problem={problem} onDismiss={() => setProblem(undefined)} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {incidents.map((i) => {
        const waiting = pending.filter((a) => a.target.incidentId === i.id);
        return (
          <article key={i.id} className="incident" aria-label={`Incident ${i.kind}`}>
            <div className="incident-head">
              <StatusBadge status={i.status} />
              <span className="tag">{i.kind}</span>
              <span className="muted small">{KIND_LABELS[i.kind]}</span>
              <span className="muted small incident-when" title={i.createdAt}>
                since {formatTime(i.createdAt)} ({formatDuration(Date.now() - Date.parse(i.createdAt))})
              </span>
            </div>
            {/* The API shows an incident's error and kept input to operators and auditors only. */}
            {i.error === undefined ? (
              <p className="muted small" data-testid="incident-restricted">
                Its error and kept input are for operators and auditors.
              </p>
            ) : (
              <>
                <p className="incident-error" data-testid="incident-error">
                  {errorLine(i.error)}
                </p>
                <dl className="incident-facts small">
                  <dt>kept input</dt>
                  <dd>{inputSummary(i.input)}</dd>
                  <dt>in state</dt>
                  <dd className="mono">{stateLabel(i.state)}</dd>
                  <dt>retries</dt>
                  <dd>{i.retries}</dd>
                  <dt>last change</dt>
                  <dd>{formatTime(i.updatedAt)}</dd>
                </dl>
                {i.input && (
                  <details>
                    <summary>Kept input</summary>
                    <JsonView label={`Kept input of incident ${i.id}`} value={i.input} />
                  </details>
                )}
              </>
            )}
            {canAct && (
              <div className="row incident-actions">
                <ReasonAction label="Retry" confirmLabel="Confirm retry" subject="Reason to retry" busy={busy} onConfirm={(reason) => act(i, 'retry', reason)} />
                <ReasonAction label="Resolve" confirmLabel="Confirm resolve" subject="Reason to resolve (the kept input is discarded)" busy={busy} tone="danger" onConfirm={(reason) => act(i, 'resolve', reason)} />
              </div>
            )}
            {waiting.map((a) => (
              <ApprovalCard key={a.id} approval={a} canDecide={canAct} onDecide={onDecide} />
            ))}
          </article>
        );
      })}
    </section>
  );
}
