import { useEffect, useRef, useState } from 'react';
import { apiText, type Problem, ApiError } from '../api';
import { ProblemAlert } from './ProblemAlert';

/**
 * A statechart SVG the API renders. Fetched with the key (an <img src> could not send it) and
 * shown through a blob URL in an <img>: the document is displayed, never run as markup here.
 * `version` changes refetch it (the instance moved on).
 */
export function Diagram({ path, label, version }: { path: string; label: string; version?: unknown }) {
  const [url, setUrl] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [fullSize, setFullSize] = useState(false);
  const current = useRef<string>(undefined);

  useEffect(() => {
    let live = true;
    apiText(path, 'image/svg+xml')
      .then((svg) => {
        if (!live) return;
        if (current.current) URL.revokeObjectURL(current.current);
        current.current = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
        setUrl(current.current);
        setProblem(undefined);
      })
      .catch((err: unknown) => live && setProblem(err instanceof ApiError ? err.problem : { title: 'The diagram failed to load', status: 0 }));
    return () => {
      live = false;
    };
  }, [path, JSON.stringify(version)]);

  useEffect(() => () => void (current.current && URL.revokeObjectURL(current.current)), []);

  if (problem) return <ProblemAlert problem={problem} />;
  if (!url) return <p className="muted">Rendering the diagram…</p>;
  return (
    <>
      <div className="diagram-tools small">
        <button type="button" className="link" aria-pressed={fullSize} onClick={() => setFullSize((f) => !f)}>
          {fullSize ? 'Fit to width' : 'Actual size'}
        </button>
        <a href={url} target="_blank" rel="noreferrer">
          Open in a new tab
        </a>
      </div>
      <div className={`diagram${fullSize ? ' diagram-full' : ''}`}>
        <img src={url} alt={label} />
      </div>
    </>
  );
}
