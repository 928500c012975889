import { useEffect, useState } from 'react';
import { api, apiText, ApiError, enc, type Problem } from '../api';
import { Diagram } from '../components/Diagram';
import { JsonView } from '../components/JsonView';
import { ProblemAlert } from '../components/ProblemAlert';
import { usePoll } from '../poll';
import { href } from '../router';

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

function DefinitionDetail({ d }: { d: Definition }) {
  const base = `/v1/definitions/${enc(d.type)}/${d.version}`;
  return (
    <>
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
