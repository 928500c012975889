import { useEffect, useState, type FormEvent } from 'react';
import { api, queryString } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';
import { WORKFLOW_OUTCOMES, WORKFLOW_STATUSES } from '../components/Status';
import { WorkflowTable, type WorkflowRow } from '../components/WorkflowTable';
import { LIVE_FALLBACK_POLL_MS, useLive } from '../live';
import { POLL_MS, usePoll } from '../poll';
import { href, navigate } from '../router';

const FILTERS = ['type', 'status', 'outcome', 'state', 'businessKey', 'createdAfter', 'createdBefore', 'overdue', 'retrying', 'hasIncident'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;
const PAGE_SIZE = 25;

/** ISO (UTC) ⇄ the local time a datetime-local input shows. */
const toLocalInput = (iso?: string) => {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** The searchable, filterable, paginated list; the filters live in the URL, so a view can be shared. */
export function Workflows({ query }: { query: URLSearchParams }) {
  const applied: Filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? undefined]).filter(([, v]) => v));
  const cursor = query.get('cursor') ?? undefined;
  const [draft, setDraft] = useState<Filters>(applied);
  const [previous, setPrevious] = useState<(string | undefined)[]>([]);
  const [types, setTypes] = useState<string[]>([]);
  const key = query.toString();

  useEffect(() => setDraft(applied), [key]);
  useEffect(() => {
    api<{ items: { type: string }[] }>('/v1/definitions')
      .then((d) => setTypes([...new Set(d.items.map((i) => i.type))]))
      .catch(() => setTypes([]));
  }, []);

  const live = useLive(null);
  const page = usePoll(() => api<{ items: WorkflowRow[]; nextCursor: string | null }>(`/v1/workflows${queryString({ ...applied, limit: PAGE_SIZE, cursor })}`), [key, live.tick], live.connected ? LIVE_FALLBACK_POLL_MS : POLL_MS, [key]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setPrevious([]);
    navigate('/workflows', draft);
  };
  const [wanted, setWanted] = useState('');
  const open = (e: FormEvent) => {
    e.preventDefault();
    if (wanted.trim()) navigate(`/workflows/${encodeURIComponent(wanted.trim())}`);
  };
  const set = (name: keyof Filters, value: string | undefined) => setDraft((d) => ({ ...d, [name]: value || undefined }));

  return (
    <>
      <div className="page-head">
        <h1>Workflows</h1>
      </div>
      <form className="card filters" onSubmit={open} aria-label="Open a workflow by id">
        <div className="field">
          <label htmlFor="f-id">Workflow id</label>
          <input id="f-id" className="mono" placeholder="e.g. pay-00042" value={wanted} onChange={(e) => setWanted(e.target.value)} />
        </div>
        <div className="filter-actions">
          <button type="submit">Open</button>
          <span className="muted small">
            or search by business key below; <a href={href('/workflows')}>all workflows</a>
          </span>
        </div>
      </form>
      <form className="card filters" onSubmit={apply} aria-label="Filters" noValidate>
        <div className="field">
          <label htmlFor="f-type">Type</label>
          <select id="f-type" value={draft.type ?? ''} onChange={(e) => set('type', e.target.value)}>
            <option value="">any</option>
            {types.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" value={draft.status ?? ''} onChange={(e) => set('status', e.target.value)}>
            <option value="">any</option>
            {WORKFLOW_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-outcome">Outcome</label>
          <select id="f-outcome" value={draft.outcome ?? ''} onChange={(e) => set('outcome', e.target.value)}>
            <option value="">any</option>
            {WORKFLOW_OUTCOMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-state">State</label>
          <input id="f-state" placeholder="e.g. awaitingSettlement" value={draft.state ?? ''} onChange={(e) => set('state', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="f-bk">Business key</label>
          <input id="f-bk" value={draft.businessKey ?? ''} onChange={(e) => set('businessKey', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="f-after">Created after</label>
          <input id="f-after" type="datetime-local" value={toLocalInput(draft.createdAfter)} onChange={(e) => set('createdAfter', fromLocalInput(e.target.value))} />
        </div>
        <div className="field">
          <label htmlFor="f-before">Created before</label>
          <input id="f-before" type="datetime-local" value={toLocalInput(draft.createdBefore)} onChange={(e) => set('createdBefore', fromLocalInput(e.target.value))} />
        </div>
        <div className="field field-boolean">
          <input id="f-overdue" type="checkbox" checked={draft.overdue === 'true'} onChange={(e) => set('overdue', e.target.checked ? 'true' : undefined)} />
          <label htmlFor="f-overdue">Overdue only</label>
        </div>
        <div className="field field-boolean">
          <input id="f-retrying" type="checkbox" checked={draft.retrying === 'true'} onChange={(e) => set('retrying', e.target.checked ? 'true' : undefined)} />
          <label htmlFor="f-retrying">Retrying only</label>
        </div>
        <div className="field field-boolean">
          <input id="f-incident" type="checkbox" checked={draft.hasIncident === 'true'} onChange={(e) => set('hasIncident', e.target.checked ? 'true' : undefined)} />
          <label htmlFor="f-incident">With an open incident</label>
        </div>
        <div className="filter-actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setPrevious([]);
              navigate('/workflows');
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <section className="card" aria-label="Workflow list">
        <ProblemAlert problem={page.problem} />
        <WorkflowTable items={page.problem ? [] : page.data?.items} empty="No workflow matches these filters." />
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            className="secondary"
            disabled={!cursor}
            onClick={() => {
              const back = previous[previous.length - 1];
              setPrevious((p) => p.slice(0, -1));
              navigate('/workflows', { ...applied, cursor: back });
            }}
          >
            Previous page
          </button>
          <button
            type="button"
            className="secondary"
            disabled={!page.data?.nextCursor}
            onClick={() => {
              setPrevious((p) => [...p, cursor]);
              navigate('/workflows', { ...applied, cursor: page.data!.nextCursor! });
            }}
          >
            Next page
          </button>
        </nav>
      </section>
    </>
  );
}
