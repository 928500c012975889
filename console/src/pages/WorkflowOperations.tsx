import { useState } from 'react';
import { api, enc } from '../api';
import { usePoll } from '../poll';
import { ApprovalCard } from '../components/ApprovalCard';
import { ProblemAlert } from '../components/ProblemAlert';
import { ReasonAction } from '../components/ReasonAction';
import { operatorAction, useOperatorAction, type Approval } from '../operations';
import type { WorkflowView } from './Workflow';

type Action = 'pause' | 'resume' | 'terminate';

const DONE: Record<Action, string> = {
  pause: 'Paused: nothing is dispatched and arriving inputs are held until it is resumed',
  resume: 'Resumed: what was held is applied in arrival order',
  terminate: 'Terminated: its activities, timers and tasks are stopped; no compensation runs',
};

/** Which of pause, resume and terminate apply to a status. */
function actionsFor(status: string, ended: boolean): Action[] {
  if (ended) return [];
  const actions: Action[] = [];
  if (status === 'running' || status === 'waiting') actions.push('pause');
  if (status === 'paused') actions.push('resume');
  actions.push('terminate');
  return actions;
}

/**
 * The operator's controls on one workflow: pause, resume, terminate, each with a reason;
 * inputs held meanwhile; and what waits for a second operator. Operators act, auditors
 * read (the section shows them only what is held or pending).
 */
export function WorkflowOperations({
  workflow: w,
  ended,
  canAct,
  pending,
  onChanged,
  onDecide,
}: {
  workflow: WorkflowView;
  ended: boolean;
  canAct: boolean;
  /** Pending approvals of pause, resume or terminate of this workflow. */
  pending: Approval[];
  onChanged: () => void;
  onDecide: (approval: Approval, decision: 'approve' | 'reject', reason: string) => Promise<void>;
}) {
  const { busy, notice, problem, setProblem, run } = useOperatorAction(onChanged);
  // An action already waiting for a second operator is not asked for twice.
  const actions = canAct ? actionsFor(w.status, ended).filter((a) => !pending.some((p) => p.action === a)) : [];

  const act = (action: Action, reason: string) =>
    run(async () => {
      const outcome = await operatorAction<WorkflowView>(`/v1/workflows/${enc(w.id)}/${action}`, reason);
      return outcome.done ? DONE[action] : `Waiting for a second operator: the ${action} is kept until another operator approves it`;
    });

  // The states it may be moved to, from its own version.
  const definition = usePoll(async () => (canAct && !ended ? api<{ moveTargets: string[] }>(`/v1/definitions/${enc(w.type)}/${w.definitionVersion}`) : undefined), [w.type, w.definitionVersion, canAct, ended], null);
  const [toState, setToState] = useState('');
  const targets = definition.data?.moveTargets ?? [];
  const movable = canAct && !ended && w.status !== 'paused' && targets.length > 0 && !pending.some((p) => p.action === 'move');
  const move = (reason: string) =>
    run(async () => {
      const outcome = await operatorAction<WorkflowView>(`/v1/workflows/${enc(w.id)}/move`, reason, { toState: toState || targets[0] });
      return outcome.done ? `Moved to ${toState || targets[0]}: the states left stopped their work, the state entered started its own` : 'Waiting for a second operator: the move is kept until another operator approves it';
    });

  const held = w.heldInputs ?? 0;
  if (!actions.length && !movable && !pending.length && !held && !notice && !problem) return null;

  return (
    <section className="card operations" aria-labelledby="operations-heading">
      <h2 id="operations-heading">Operator</h2>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(undefined)} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {held > 0 && (
        <p className="held" data-testid="held-inputs">
          {held} input{held === 1 ? '' : 's'} held{w.status === 'paused' ? ' until it is resumed' : w.incidents?.length ? ' until its incident is closed' : ''}
        </p>
      )}
      {(actions.length > 0 || movable) && (
        <div className="operations-actions">
          {actions.includes('pause') && (
            <div className="operation">
              <ReasonAction label="Pause" confirmLabel="Confirm pause" subject="Reason to pause" busy={busy} onConfirm={(reason) => act('pause', reason)} />
              <p className="muted small">Nothing is dispatched; results, timers, signals and decisions that arrive are held.</p>
            </div>
          )}
          {actions.includes('resume') && (
            <div className="operation">
              <ReasonAction label="Resume" confirmLabel="Confirm resume" subject="Reason to resume" busy={busy} onConfirm={(reason) => act('resume', reason)} />
              <p className="muted small">What was held is applied in arrival order.</p>
            </div>
          )}
          {movable && (
            <div className="operation">
              <div className="field">
                <label htmlFor="move-to">Move to state</label>
                <select id="move-to" value={toState || targets[0]} onChange={(e) => setToState(e.target.value)}>
                  {targets.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </div>
              <ReasonAction label="Move" confirmLabel="Confirm move" subject="Reason to move" busy={busy} onConfirm={move} />
              <p className="muted small">As a transition: the states left stop their activities and timers, the state entered starts its own (re-entering the current state re-runs it).</p>
            </div>
          )}
          {actions.includes('terminate') && (
            <div className="operation">
              <ReasonAction label="Terminate" confirmLabel="Confirm terminate" subject="Reason to terminate" busy={busy} tone="danger" onConfirm={(reason) => act('terminate', reason)} />
              <p className="muted small">Ends it at once as terminated, without its cancellation path or compensation.</p>
            </div>
          )}
        </div>
      )}
      {pending.length > 0 && (
        <>
          <h3>Waiting for a second operator</h3>
          {pending.map((a) => (
            <ApprovalCard key={a.id} approval={a} canDecide={canAct} onDecide={onDecide} />
          ))}
        </>
      )}
    </section>
  );
}
