import { useEffect, useState } from 'react';
import { api, apiText, ApiError, enc, type Problem } from '../api';
import { Diagram } from '../components/Diagram';
import { JsonView } from '../components/JsonView';
import { ProblemAlert } from '../components/ProblemAlert';
import { usePoll } from '../poll';
import { href } from '../router';
import { hasRole, useMe } from '../me';

interface Definition {
  type: string;
  version: number;
  latest: boolean;
  description: string | null;
  input: unknown;
  exampleInput: unknown;
  events: { type: string; payload: unknown }[];
  cancelEvent: string;
  activities: { name: string; retry: any; startToCloseTimeoutMs: number }[];
  states: string[];
}

/** Every type and version; for one, its statechart, events, activities and compliance report. */
export function Definitions({ type, version }: { type?: string; version?: string }) {
  const list = usePoll(() => api<{ items: Definition[] }>('/v1/definitions'), [], null);
  const items = list.data?.items ?? [];
  const selected = type ? items.find((d) => d.type === type && (version ? String(d.version) === version : d.latest)) : undefined;

  return (
    <>
      <div className="page-head">
        <h1>Definitions</h1>
      </div>
      <ProblemAlert problem={list.problem} />
      <div className="split">
        <nav className="card side-list" aria-label="Definitions">
          <ul className="plain-list">
            {items.map((d) => (
              <li key={`${d.type}@${d.version}`}>
                <a href={href(`/definitions/${d.type}/${d.version}`)} aria-current={selected === d ? 'page' : undefined}>
                  {d.type} <span className="muted">v{d.version}</span>
                  {d.latest && <span className="tag">latest</span>}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div>{selected ? <DefinitionDetail d={selected} /> : <p className="card muted">{list.data ? 'Choose a definition.' : 'Loading…'}</p>}</div>
      </div>
    </>
  );
}

interface VersionRow {
  version: number;
  lifecycle: 'active' | 'deprecated' | 'retired';
  lifecycleReason: string | null;
  registered: boolean;
  startDefault: boolean;
  hash: string;
  changedSinceDeployed: boolean;
  lastDeployedAt: string | null;
  instances: { total: number; live: number; byStatus: Record<string, number>; byState: { state: string; status: string; count: number }[] };
}

interface ImpactItem {
  workflowId: string;
  version: number;
  state: unknown;
  result: 'identical' | 'diverges' | 'incompatible';
  divergence?: { seq: number; kind: string; event: string | null; recorded: { state: unknown; actions: string[] }; candidate: { state: unknown; actions: string[] } | null; reason?: string };
  reason?: string;
}
interface ImpactReport {
  candidate: { version: number };
  fromVersions: number[];
  summary: { instances: number; identical: number; diverges: number; incompatible: number; byState: { state: string; identical: number; diverges: number; incompatible: number }[] };
  items: ImpactItem[];
  truncated: boolean;
}

const stateText = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' ? Object.entries(v).map(([k, c]) => `${k}.${stateText(c)}`).join(', ') : String(v));

/** What a version would do to the live instances of the others: replayed through its transitions, nothing changed. */
function Impact({ report }: { report: ImpactReport }) {
  const s = report.summary;
  const changed = report.items.filter((i) => i.result !== 'identical');
  return (
    <div className="impact" aria-label={`Impact of version ${report.candidate.version}`} role="region">
      <p data-testid="impact-summary">
        v{report.candidate.version} over {s.instances} live instance{s.instances === 1 ? '' : 's'} of {report.fromVersions.map((v) => `v${v}`).join(', ') || 'no other version'}: <strong>{s.identical} identical</strong>, <strong>{s.diverges} diverge</strong>, <strong>{s.incompatible} incompatible</strong>
        {report.truncated && ' (the first 10,000)'}
      </p>
      {s.byState.length > 0 && (
        <table className="table compact" aria-label="Impact by current state">
          <thead>
            <tr>
              <th scope="col">current state</th>
              <th scope="col" className="num">identical</th>
              <th scope="col" className="num">diverge</th>
              <th scope="col" className="num">incompatible</th>
            </tr>
          </thead>
          <tbody>
            {s.byState.map((b) => (
              <tr key={b.state}>
                <td className="mono">{b.state}</td>
                <td className="num">{b.identical}</td>
                <td className="num">{b.diverges}</td>
                <td className="num">{b.incompatible}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {changed.length > 0 && (
        <ul className="plain-list small" aria-label="Instances taken differently">
          {changed.slice(0, 50).map((i) => (
            <li key={i.workflowId}>
              <a className="mono" href={href(`/workflows/${enc(i.workflowId)}`)}>{i.workflowId}</a> <span className="muted">v{i.version} in {stateText(i.state)}</span> —{' '}
              {i.result === 'incompatible'
                ? `incompatible: ${i.reason}`
                : i.divergence
                  ? `diverges at #${i.divergence.seq} ${i.divergence.kind}${i.divergence.event ? ` ${i.divergence.event}` : ''}: recorded ${stateText(i.divergence.recorded.state)}, v${report.candidate.version} ${i.divergence.candidate ? stateText(i.divergence.candidate.state) : `throws (${i.divergence.reason})`}`
                  : 'diverges'}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Every version of the type, deployed now or before: lifecycle, whether this deployment runs it, and the tenant's instances. */
function Versions({ type, current }: { type: string; current: number }) {
  const me = useMe();
  const mayAnalyse = hasRole(me, 'operator', 'auditor');
  const versions = usePoll(() => api<{ versions: VersionRow[] }>(`/v1/definitions/${enc(type)}`), [type], null);
  const rows = versions.data?.versions ?? [];
  const [impact, setImpact] = useState<ImpactReport>();
  const [impactProblem, setImpactProblem] = useState<Problem>();
  const analyse = async (version: number) => {
    setImpact(undefined);
    setImpactProblem(undefined);
    try {
      setImpact(await api<ImpactReport>(`/v1/definitions/${enc(type)}/impact`, { method: 'POST', body: { candidateVersion: version } }));
    } catch (err) {
      setImpactProblem(err instanceof ApiError ? err.problem : { title: 'The impact analysis failed', status: 0 });
    }
  };
  const othersLive = (v: number) => rows.some((r) => r.version !== v && r.instances.live > 0);
  return (
    <section className="card" aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      <ProblemAlert problem={versions.problem} />
      <table className="table compact" aria-label={`Versions of ${type}`}>
        <thead>
          <tr>
            <th scope="col">version</th>
            <th scope="col">lifecycle</th>
            <th scope="col">deployed</th>
            <th scope="col" className="num">live</th>
            <th scope="col" className="num">all</th>
            <th scope="col">where the live ones are</th>
            {mayAnalyse && <th scope="col"><span className="sr-only">impact</span></th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((v) => (
            <tr key={v.version} aria-current={v.version === current ? 'true' : undefined}>
              <td>
                {v.registered ? <a href={href(`/definitions/${type}/${v.version}`)}>v{v.version}</a> : `v${v.version}`}
                {v.startDefault && <span className="tag">new starts</span>}
              </td>
              <td title={v.lifecycleReason ?? undefined}>
                {v.lifecycle}
                {v.lifecycleReason && <span className="muted small"> — {v.lifecycleReason}</span>}
              </td>
              <td className="small">
                {v.registered ? 'running here' : <span className="muted">no longer</span>}
                {v.changedSinceDeployed && <span className="badge badge-incident" title="the registered machine differs from what was first deployed under this version"> changed</span>}
              </td>
              <td className="num">{v.instances.live}</td>
              <td className="num">{v.instances.total}</td>
              <td className="small mono">
                {v.instances.byState
                  .filter((s) => ['running', 'waiting', 'paused'].includes(s.status))
                  .slice(0, 4)
                  .map((s) => `${s.state} ${s.count}`)
                  .join(' · ') || <span className="muted">—</span>}
              </td>
              {mayAnalyse && (
                <td>
                  {v.registered && othersLive(v.version) && (
                    <button type="button" className="link" onClick={() => void analyse(v.version)} title={`replay the other versions' live instances through v${v.version}`}>
                      Impact of v{v.version}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ProblemAlert problem={impactProblem} />
      {impact && <Impact report={impact} />}
    </section>
  );
}

function DefinitionDetail({ d }: { d: Definition }) {
  const base = `/v1/definitions/${enc(d.type)}/${d.version}`;
  return (
    <>
      <Versions type={d.type} current={d.version} />
      <section className="card" aria-labelledby="def-heading">
        <h2 id="def-heading">
          {d.type} v{d.version}
        </h2>
        {d.description && <p>{d.description}</p>}
        <Diagram path={`${base}/diagram?format=svg`} label={`Statechart of ${d.type} version ${d.version}`} />
      </section>
      <div className="grid-2">
        <section className="card">
          <h2>Events</h2>
          <ul className="plain-list">
            {d.events.map((e) => (
              <li key={e.type}>
                <code>{e.type}</code>
                <details>
                  <summary className="small">payload schema</summary>
                  <JsonView label={`Payload schema of ${e.type}`} value={e.payload} />
                </details>
              </li>
            ))}
            {!d.events.length && <li className="muted">No events from outside.</li>}
          </ul>
          <p className="small muted">
            Cancellation delivers <code>{d.cancelEvent}</code>.
          </p>
        </section>
        <section className="card">
          <h2>Activities</h2>
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">activity</th>
                <th scope="col" className="num">attempts</th>
                <th scope="col" className="num">timeout</th>
              </tr>
            </thead>
            <tbody>
              {d.activities.map((a) => (
                <tr key={a.name}>
                  <td className="mono">{a.name}</td>
                  <td className="num">{a.retry?.maximumAttempts ?? '—'}</td>
                  <td className="num">{(a.startToCloseTimeoutMs / 1000).toFixed(0)} s</td>
                </tr>
              ))}
            </tbody>
          </table>
          <details>
            <summary>Input schema and example</summary>
            <JsonView label="Input schema" value={d.input} />
            <JsonView label="Example input" value={d.exampleInput} />
          </details>
        </section>
      </div>
      <Report path={`${base}/report`} title={`Compliance report of ${d.type} v${d.version}`} />
    </>
  );
}

/** The HTML report, fetched with the key, shown in a sandboxed frame (no scripts) and openable in its own tab. */
function Report({ path, title }: { path: string; title: string }) {
  const [html, setHtml] = useState<string>();
  const [url, setUrl] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [shown, setShown] = useState(false);

  useEffect(() => {
    setHtml(undefined);
    setShown(false);
    setProblem(undefined);
  }, [path]);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);

  const show = async () => {
    setShown(true);
    if (html) return;
    try {
      const text = await apiText(path, 'text/html');
      setHtml(text);
      // The tab shares this origin: a policy forbidding scripts keeps it a document, nothing more.
      const noScripts = '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">';
      const guarded = /<head[^>]*>/i.test(text) ? text.replace(/<head[^>]*>/i, (head) => head + noScripts) : noScripts + text;
      setUrl(URL.createObjectURL(new Blob([guarded], { type: 'text/html' })));
    } catch (err) {
      setProblem(err instanceof ApiError ? err.problem : { title: 'The report failed to load', status: 0 });
    }
  };

  return (
    <section className="card" aria-labelledby="report-heading">
      <div className="section-head">
        <h2 id="report-heading">Compliance report</h2>
        <div className="row">
          {!shown && (
            <button type="button" onClick={() => void show()}>
              Show compliance report
            </button>
          )}
          {url && (
            <a className="button secondary" href={url} target="_blank" rel="noreferrer">
              Open in a new tab
            </a>
          )}
        </div>
      </div>
      <ProblemAlert problem={problem} />
      {shown && !html && !problem && <p className="muted">Loading the report…</p>}
      {shown && html && <iframe className="report" title={title} sandbox="" srcDoc={html} />}
    </section>
  );
}
