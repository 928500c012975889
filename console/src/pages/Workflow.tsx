import { useState } from 'react';
import { api, enc } from '../api';
import { Diagram } from '../components/Diagram';
import { JsonView } from '../components/JsonView';
import { ProblemAlert } from '../components/ProblemAlert';
import { ENDED_STATUSES, formatDuration, formatTime, OutcomeBadge, stateLabel, StatusBadge } from '../components/Status';
import type { WorkflowRow } from '../components/WorkflowTable';
import { useMe } from '../me';
import { decideApproval, mayOperate, mayReadOperations, type Approval, type Incident, type Page } from '../operations';
import { LIVE_FALLBACK_POLL_MS, useLive } from '../live';
import { POLL_MS, usePoll } from '../poll';
import { href } from '../router';
import { Timeline } from './Timeline';
import { WorkflowActions } from './WorkflowActions';
import { WorkflowIncidents } from './WorkflowIncidents';
import { WorkflowOperations } from './WorkflowOperations';

/** A list row, with what GET /v1/workflows/{id} adds. */
export interface WorkflowView extends WorkflowRow {
  context: unknown;
  input: unknown;
  output: unknown;
  error: unknown;
  version: number;
  parentId: string | null;
  /** The open incidents (GET /v1/workflows/{id} only). */
  incidents?: Incident[];
  /** Inputs kept while it is paused or has an open incident, applied later in arrival order. */
  heldInputs?: number;
}

interface Outstanding {
  activities: { id: string; name: string; activityId?: string; kind: string; attempts: number; attemptLimit?: number | null; nextRetryAt?: string | null; childWorkflowId: string | null; lastError: any; scheduledAt: string }[];
  timers: { id: string; event: string; dueAt: string }[];
}

/** One workflow, live: its statechart with the path taken, its data, what it waits on, its history, and actions. */
export function WorkflowPage({ id }: { id: string }) {
  const me = useMe();
  const operator = mayOperate(me);
  const reader = mayReadOperations(me);
  // Refetched when the live stream says this workflow or a child changed; polled only while the stream is down.
  const live = useLive(id);
  const wf = usePoll(() => api<WorkflowView>(`/v1/workflows/${enc(id)}`), [id, live.tick], live.connected ? LIVE_FALLBACK_POLL_MS : POLL_MS, [id]);
  const w = wf.data;
  // What changes only when the instance moves on is refetched on its version, not every tick.
  const version = w?.version;
  // A pause, a resume or a recorded approval moves no state (the version stays): the row's update time says it changed.
  const revision = w ? `${w.version}/${w.status}/${w.updatedAt}` : undefined;
  const outstanding = usePoll(() => api<Outstanding>(`/v1/workflows/${enc(id)}/outstanding`), [id, revision], null, [id]);
  const tasks = usePoll(() => api<{ items: any[] }>(`/v1/tasks?workflow=${enc(id)}&status=open`), [id, revision], null, [id]);
  // Only who may read approvals asks for them (a refusal would be recorded); the list has no workflow filter, so it is filtered here.
  const approvals = usePoll(
    async () => (reader ? api<Page<Approval>>('/v1/operator-approvals?status=pending&limit=200') : { items: [], nextCursor: null }),
    [id, revision, reader],
    null,
    [id],
  );
  const [decided, setDecided] = useState<string>();
  const refresh = () => {
    wf.reload();
    approvals.reload();
  };
  const decide = async (a: Approval, decision: 'approve' | 'reject', reason: string) => {
    setDecided(undefined);
    try {
      setDecided(await decideApproval(a, decision, reason));
    } finally {
      refresh();
    }
  };

  if (!w) {
    return (
      <>
        <h1 className="mono">{id}</h1>
        {wf.problem ? <ProblemAlert problem={wf.problem} /> : <p className="muted">Loading…</p>}
      </>
    );
  }
  const ended = ENDED_STATUSES.includes(w.status);
  const pending = approvals.data?.items ?? [];
  const incidentIds = new Set((w.incidents ?? []).map((i) => i.id));
  const pendingOnWorkflow = pending.filter((a) => a.target.workflowId === w.id);
  const pendingOnIncidents = pending.filter((a) => a.target.incidentId && incidentIds.has(a.target.incidentId));
  return (
    <>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <a href={href('/workflows')}>Workflows</a> / <a href={href('/workflows', { type: w.type })}>{w.type}</a>
          </p>
          <h1 className="mono">{w.id}</h1>
        </div>
        <div className="head-status">
          <span data-testid="workflow-status">
            <StatusBadge status={w.status} />
          </span>
          {w.outcome && (
            <span data-testid="workflow-outcome" title="the business outcome its final state declares">
              <OutcomeBadge outcome={w.outcome} />
            </span>
          )}
          {w.incidents?.length ? (
            <span className="badge badge-incident">{w.incidents.length === 1 ? 'open incident' : `${w.incidents.length} open incidents`}</span>
          ) : null}
          <span className="mono" data-testid="workflow-state">
            {stateLabel(w.state)}
          </span>
          <span
            className={`live-status small ${live.connected ? 'live-on' : 'muted'}`}
            data-testid="live-status"
            title={live.connected ? 'changes arrive as they are committed (server-sent events)' : 'the live stream is down: the page polls every 2 s'}
          >
            {live.connected ? '● live' : '○ polling'}
          </span>
        </div>
      </div>
      <ProblemAlert problem={wf.problem} />
      <dl className="facts">
        <dt>type</dt>
        <dd>
          <a href={href(`/definitions/${w.type}/${w.definitionVersion}`)}>
            {w.type} v{w.definitionVersion}
          </a>
        </dd>
        <dt>business key</dt>
        <dd>{w.businessKey ?? '—'}</dd>
        <dt>parent</dt>
        <dd>{w.parentId ? <a href={href(`/workflows/${enc(w.parentId)}`)}>{w.parentId}</a> : '—'}</dd>
        <dt>started</dt>
        <dd>{formatTime(w.createdAt)}</dd>
        <dt>{ended ? 'ended' : 'last change'}</dt>
        <dd>{formatTime(w.endedAt ?? w.updatedAt)}</dd>
        <dt title="transitions applied to this instance so far; the definition's version is beside its type">transitions</dt>
        <dd>{w.version}</dd>
        {w.heldInputs ? (
          <>
            <dt>held inputs</dt>
            <dd className="overdue">{w.heldInputs}</dd>
          </>
        ) : null}
      </dl>
      {decided && (
        <p className="notice" role="status">
          {decided}
        </p>
      )}

      <WorkflowIncidents workflow={w} canAct={operator} pending={pendingOnIncidents} onChanged={refresh} onDecide={decide} />
      {reader && <WorkflowOperations workflow={w} ended={ended} canAct={operator} pending={pendingOnWorkflow} onChanged={refresh} onDecide={decide} />}

      <section className="card" aria-labelledby="diagram-heading">
        <h2 id="diagram-heading">Statechart</h2>
        <p className="muted small">The path this instance took and its current state are marked.</p>
        <Diagram path={`/v1/workflows/${enc(id)}/diagram?format=svg`} label={`Statechart of ${w.id}, current state ${stateLabel(w.state)}`} version={version} />
      </section>

      <div className="grid-2">
        <section className="card" aria-labelledby="data-heading">
          <h2 id="data-heading">Data</h2>
          {w.error ? (
            <>
              <h3>Error</h3>
              <JsonView label="Error" value={w.error} />
            </>
          ) : null}
          {ended && (
            <>
              <h3>Output</h3>
              <JsonView label="Output" value={w.output} />
            </>
          )}
          <details open={!ended}>
            <summary>Context</summary>
            <JsonView label="Context" value={w.context} />
          </details>
          <details>
            <summary>Input</summary>
            <JsonView label="Input" value={w.input} />
          </details>
        </section>
        <section className="card" aria-labelledby="waiting-heading">
          <h2 id="waiting-heading">Outstanding</h2>
          <ProblemAlert problem={outstanding.problem ?? tasks.problem} />
          <ul className="plain-list" aria-label="Outstanding work">
            {outstanding.data?.activities.map((a) => (
              <li key={a.id}>
                <span className="tag">{a.kind}</span> <strong>{a.name}</strong>
                {a.childWorkflowId && (
                  <>
                    {' '}
                    → <a href={href(`/workflows/${enc(a.childWorkflowId)}`)}>{a.childWorkflowId}</a>
                  </>
                )}
                {a.activityId && a.activityId !== a.name && <span className="muted small"> ({a.activityId})</span>}
                {a.attempts > 0 && (
                  <span className="overdue small">
                    {' '}
                    · {a.attempts}
                    {a.attemptLimit ? ` of ${a.attemptLimit}` : ''} attempt(s) failed{a.lastError?.message ? `: ${a.lastError.message}` : ''}
                  </span>
                )}
                {a.nextRetryAt && (
                  <span className="small" data-testid="next-retry">
                    {' '}
                    · next attempt {Date.parse(a.nextRetryAt) > Date.now() ? `in ${formatDuration(Date.parse(a.nextRetryAt) - Date.now())}` : 'due now'} ({formatTime(a.nextRetryAt)})
                  </span>
                )}
              </li>
            ))}
            {outstanding.data?.timers.map((t) => (
              <li key={t.id}>
                <span className="tag">timer</span> <strong>{t.event}</strong> <span className="muted small">due {formatTime(t.dueAt)}</span>
              </li>
            ))}
            {tasks.data?.items.map((t) => (
              <li key={t.id}>
                <span className="tag">task</span> <a href={href('/tasks', { workflow: w.id })}>{t.title}</a>{' '}
                <span className="muted small">
                  for {t.candidateGroups.join(', ')}
                  {t.claimedBy ? `, claimed by ${t.claimedBy}` : ''}
                </span>
                {t.overdue && t.dueAt && <span className="overdue small"> · overdue by {formatDuration(Date.now() - Date.parse(t.dueAt))}</span>}
              </li>
            ))}
          </ul>
          {outstanding.data && !outstanding.data.activities.length && !outstanding.data.timers.length && !tasks.data?.items.length && <p className="muted">Nothing outstanding.</p>}
        </section>
      </div>

      {/* Only to who may send them: a reviewer or an auditor is offered no action the API would refuse. */}
      {operator && <WorkflowActions workflow={w} ended={ended} onDone={wf.reload} />}
      <Timeline id={id} version={revision} />
    </>
  );
}
