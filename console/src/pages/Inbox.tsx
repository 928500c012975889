import { api, queryString } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';
import { useMe } from '../me';
import { LIVE_FALLBACK_POLL_MS, useLive } from '../live';
import { POLL_MS, usePoll } from '../poll';
import { navigate } from '../router';
import { TaskCard, type Task } from './TaskCard';

/** The reviewer's inbox: open tasks of their groups (the API decides which), live. */
export function Inbox({ query }: { query: URLSearchParams }) {
  const me = useMe();
  const filters = { group: query.get('group') ?? undefined, workflow: query.get('workflow') ?? undefined, assignee: query.get('assignee') ?? undefined, status: query.get('status') ?? 'open' };
  const key = query.toString();
  const live = useLive(null);
  const tasks = usePoll(() => api<{ items: Task[] }>(`/v1/tasks${queryString({ ...filters, limit: 50 })}`), [key, live.tick], live.connected ? LIVE_FALLBACK_POLL_MS : POLL_MS, [key]);
  const set = (name: string, value: string | undefined) => navigate('/tasks', { ...filters, status: filters.status === 'open' ? undefined : filters.status, [name]: value || undefined });

  return (
    <>
      <div className="page-head">
        <h1>Task inbox</h1>
        <span className="muted small">{me.groups.length ? `your groups: ${me.groups.join(', ')}` : 'you are in no reviewer group'}</span>
      </div>
      <div className="card filters" role="group" aria-label="Inbox filters">
        <div className="field">
          <label htmlFor="t-group">Group</label>
          <select id="t-group" value={filters.group ?? ''} onChange={(e) => set('group', e.target.value)}>
            <option value="">all my groups</option>
            {me.groups.map((g) => (
              <option key={g}>{g}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="t-status">Task status</label>
          <select id="t-status" value={filters.status} onChange={(e) => set('status', e.target.value)}>
            <option value="open">open</option>
            <option value="completed">completed</option>
            <option value="closed">closed</option>
          </select>
        </div>
        <div className="field field-boolean">
          <input id="t-mine" type="checkbox" checked={filters.assignee === me.id} onChange={(e) => set('assignee', e.target.checked ? me.id : undefined)} />
          <label htmlFor="t-mine">Claimed by me</label>
        </div>
        {filters.workflow && (
          <div className="field">
            <span className="muted small">workflow {filters.workflow}</span>
            <button type="button" className="link" onClick={() => set('workflow', undefined)}>
              show all workflows
            </button>
          </div>
        )}
      </div>
      <ProblemAlert problem={tasks.problem} />
      {tasks.data && !tasks.data.items.length && <p className="card muted">No tasks here.</p>}
      <div className="tasks">
        {tasks.data?.items.map((t) => (
          <TaskCard key={t.id} task={t} onChanged={tasks.reload} />
        ))}
      </div>
    </>
  );
}
