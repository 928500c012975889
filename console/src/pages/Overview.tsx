import { api } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';
import { ThroughputChart, type Throughput } from '../components/ThroughputChart';
import { WorkflowTable, type WorkflowRow } from '../components/WorkflowTable';
import { formatDuration, formatTime, WORKFLOW_OUTCOMES, WORKFLOW_STATUSES } from '../components/Status';
import { useMe } from '../me';
import { errorLine, mayReadOperations, type Incident, type Page } from '../operations';
import { LIVE_FALLBACK_POLL_MS, useLive } from '../live';
import { POLL_MS, usePoll } from '../poll';
import { href } from '../router';

interface OverviewStats {
  generatedAt: string;
  counts: { type: string; status: string; count: number }[];
  outcomes: { type: string; outcome: string; count: number }[];
  throughput: Throughput;
  tasks: { open: number; overdue: number };
  incidents: { open: number; byKind: { type: string; kind: string; count: number }[] };
}

const STATUSES = WORKFLOW_STATUSES;
const NEWEST_INCIDENTS = 8;

/** The newest open incidents, and how many are open: operators and auditors only (the API refuses anyone else, so they are not asked). */
function OpenIncidents({ data, problem }: { data: Page<Incident> | undefined; problem: Parameters<typeof ProblemAlert>[0]['problem'] }) {
  const newest = data?.items.slice(0, NEWEST_INCIDENTS);
  return (
    <section className="card incidents" aria-labelledby="incidents-heading">
      <div className="section-head">
        <h2 id="incidents-heading">Open incidents</h2>
        <a href={href('/workflows', { hasIncident: 'true' })}>workflows with an open incident →</a>
      </div>
      <ProblemAlert problem={problem} />
      {!newest ? (
        <p className="muted">Loading…</p>
      ) : !newest.length ? (
        <p className="muted">No open incidents.</p>
      ) : (
        <table className="table compact" aria-label="Newest open incidents">
          <thead>
            <tr>
              <th scope="col">workflow</th>
              <th scope="col">type</th>
              <th scope="col">kind</th>
              <th scope="col">error</th>
              <th scope="col">since</th>
            </tr>
          </thead>
          <tbody>
            {newest.map((i) => (
              <tr key={i.id}>
                <td>
                  <a className="mono" href={href(`/workflows/${encodeURIComponent(i.workflowId)}`)}>
                    {i.workflowId}
                  </a>
                </td>
                <td>
                  {i.type} <span className="muted">v{i.definitionVersion}</span>
                </td>
                <td>
                  <span className="tag">{i.kind}</span>
                </td>
                <td className="small">{errorLine(i.error)}</td>
                <td className="small" title={formatTime(i.createdAt)}>
                  {formatDuration(Date.now() - Date.parse(i.createdAt))} ago
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Counts by type and status, throughput, and what needs attention: failed and overdue work. */
export function Overview() {
  const incidentReader = mayReadOperations(useMe());
  // Every read below is refetched when the tenant's live stream reports changes (at most once a second), polled only while it is down.
  const live = useLive(null);
  const every = live.connected ? LIVE_FALLBACK_POLL_MS : POLL_MS;
  const incidents = usePoll(async () => (incidentReader ? api<Page<Incident>>(`/v1/incidents?status=open&limit=${NEWEST_INCIDENTS}`) : undefined), [incidentReader, live.tick], every, [incidentReader]);
  const stats = usePoll(() => api<OverviewStats>('/v1/stats/overview'), [live.tick], every, []);
  const openIncidents = stats.data ? String(stats.data.incidents.open) : '…';
  // Failures of the business, not only of the machine: a completed payment whose funds could not be reserved is one.
  const failed = usePoll(() => api<{ items: WorkflowRow[] }>('/v1/workflows?outcome=failure&limit=10'), [live.tick], every, []);
  const overdue = usePoll(() => api<{ items: WorkflowRow[] }>('/v1/workflows?overdue=true&limit=10'), [live.tick], every, []);
  const overdueTasks = usePoll(() => api<{ items: any[] }>('/v1/tasks?status=open&overdue=true&limit=10'), [live.tick], every, []);

  const s = stats.data;
  const totals = Object.fromEntries(STATUSES.map((st) => [st, s?.counts.filter((c) => c.status === st).reduce((a, c) => a + c.count, 0) ?? 0]));
  const types = [...new Set(s?.counts.map((c) => c.type) ?? [])];
  const count = (type: string, status: string) => s?.counts.find((c) => c.type === type && c.status === status)?.count ?? 0;
  const outcomeTotal = (o: string) => s?.outcomes.filter((c) => c.outcome === o).reduce((a, c) => a + c.count, 0) ?? 0;

  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        {s && <span className="muted small">updated {formatTime(s.generatedAt)}</span>}
      </div>
      <ProblemAlert problem={stats.problem} />
      <section className="tiles" aria-label="Workflows by status">
        {STATUSES.map((st) => (
          <a key={st} className={`tile tile-${st}`} href={href('/workflows', { status: st })}>
            <span className="tile-value" data-testid={`count-${st}`}>{s ? totals[st] : '…'}</span>
            <span className="tile-label">{st}</span>
          </a>
        ))}
        <a className="tile tile-tasks" href={href('/tasks')}>
          <span className="tile-value" data-testid="count-open-tasks">{s ? s.tasks.open : '…'}</span>
          <span className="tile-label">open tasks{s && s.tasks.overdue > 0 ? ` · ${s.tasks.overdue} overdue` : ''}</span>
        </a>
        {incidentReader && (
          <a className={`tile tile-incidents${stats.data?.incidents.open ? ' tile-alert' : ''}`} href={href('/workflows', { hasIncident: 'true' })}>
            <span className="tile-value" data-testid="count-open-incidents">
              {openIncidents}
            </span>
            <span className="tile-label">open incidents</span>
          </a>
        )}
      </section>
      <section className="tiles" aria-label="Ended workflows by outcome">
        {WORKFLOW_OUTCOMES.map((o) => (
          <a key={o} className={`tile tile-outcome-${o}`} href={href('/workflows', { outcome: o })}>
            <span className="tile-value" data-testid={`outcome-${o}`}>{s ? outcomeTotal(o) : '…'}</span>
            <span className="tile-label">{o === 'cancelled' ? 'ended cancelled' : `ended in ${o}`}</span>
          </a>
        ))}
      </section>
      {incidentReader && <OpenIncidents data={incidents.data} problem={incidents.problem} />}

      <div className="grid-2">
        <section className="card">
          <h2>Throughput, last hour</h2>
          {s ? <ThroughputChart data={s.throughput} /> : <p className="muted">Loading…</p>}
        </section>
        <section className="card">
          <h2>By type and status</h2>
          <div className="table-scroll">
            <table className="table compact by-status" aria-label="Workflows by type and status">
              <thead>
                <tr>
                  <th scope="col">type</th>
                  {STATUSES.map((st) => (
                    <th key={st} scope="col" className="num">
                      {st}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {types.map((t) => (
                  <tr key={t}>
                    <th scope="row">
                      <a href={href('/workflows', { type: t })}>{t}</a>
                    </th>
                    {STATUSES.map((st) => (
                      <td key={st} className="num">
                        {count(t, st) ? <a href={href('/workflows', { type: t, status: st })}>{count(t, st)}</a> : <span className="muted">0</span>}
                      </td>
                    ))}
                  </tr>
                ))}
                {!types.length && (
                  <tr>
                    <td colSpan={STATUSES.length + 1} className="muted">
                      No workflows yet.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </section>
      </div>

      <div className="grid-2">
        <section className="card" aria-labelledby="failed-heading">
          <h2 id="failed-heading">Ended in failure</h2>
          <p className="muted small">Failed workflows and those whose final state is a business failure.</p>
          <ProblemAlert problem={failed.problem} />
          <WorkflowTable items={failed.data?.items} empty="No workflow ended in failure." compact />
        </section>
        <section className="card" aria-labelledby="overdue-heading">
          <h2 id="overdue-heading">Overdue</h2>
          <ProblemAlert problem={overdue.problem} />
          <WorkflowTable items={overdue.data?.items} empty="No overdue workflows." compact />
          <h3>Overdue tasks</h3>
          <ProblemAlert problem={overdueTasks.problem} />
          {overdueTasks.data?.items.length ? (
            <ul className="plain-list">
              {overdueTasks.data.items.map((t) => (
                <li key={t.id}>
                  <a href={href(`/workflows/${encodeURIComponent(t.workflowId)}`)}>{t.title}</a> <span className="muted">· {t.workflowId}</span>{' '}
                  {t.dueAt && <span className="overdue">overdue by {formatDuration(Date.now() - Date.parse(t.dueAt))}</span>}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No overdue tasks.</p>
          )}
        </section>
      </div>
    </>
  );
}
