import { useEffect, useRef, useState } from 'react';
import { apiText, type Problem, ApiError } from '../api';
import { ProblemAlert } from './ProblemAlert';

/**
 * A statechart SVG the API renders. Fetched with the key (an <img src> could not send it) and
 * shown through a blob URL in an <img>: the document is displayed, never run as markup here.
 * `version` changes refetch it (the instance moved on).
 */
/**
 * Where the current state sits in the SVG, as fractions of its width and height (Graphviz's
 * own coordinates); for a definition, which has none, where the chart starts.
 */
function currentSpot(svg: string): { x: number; y: number; current: boolean } | undefined {
  // Parsed as data, never inserted: the numbers are all that is read.
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = doc.documentElement;
  const box = (root.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  const text = doc.querySelector('g.current text, g[class~="current"] text');
  const start = [...doc.querySelectorAll('g.node')].find((g) => g.querySelector('title')?.textContent === 'start')?.querySelector('ellipse');
  if (box.length !== 4 || (!text && !start)) return undefined;
  const shift = /translate\(\s*([-\d.]+)[\s,]+([-\d.]+)\s*\)/.exec(doc.querySelector('g.graph')?.getAttribute('transform') ?? '');
  const x = Number(text ? text.getAttribute('x') : start!.getAttribute('cx')) + Number(shift?.[1] ?? 0);
  const y = Number(text ? text.getAttribute('y') : start!.getAttribute('cy')) + Number(shift?.[2] ?? 0);
  if (!Number.isFinite(x) || !Number.isFinite(y) || box[2] <= 0 || box[3] <= 0) return undefined;
  return { x: (x - box[0]) / box[2], y: (y - box[1]) / box[3], current: !!text };
}

/** The compound states an SVG draws, open (a cluster) or collapsed (a box saying so), by path from the machine's root. */
function compoundStates(svg: string): { path: string; collapsed: boolean }[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const found: { path: string; collapsed: boolean }[] = [];
  for (const g of doc.querySelectorAll('g[id^="state:"]')) {
    const classes = (g.getAttribute('class') ?? '').split(/\s+/);
    if (!classes.includes('compound')) continue;
    const id = g.getAttribute('id')!.slice('state:'.length);
    found.push({ path: id.slice(id.indexOf('.') + 1), collapsed: classes.includes('collapsed') });
  }
  return found;
}

const ZOOMS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3];

export function Diagram({ path, label, version }: { path: string; label: string; version?: unknown }) {
  const [url, setUrl] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  // 'fit': the whole chart in the width; a number: that share of its natural size, panned by dragging.
  const [zoom, setZoom] = useState<number | 'fit'>();
  const [spot, setSpot] = useState<{ x: number; y: number; current: boolean }>();
  const [natural, setNatural] = useState<{ w: number; h: number }>();
  const current = useRef<string>(undefined);
  const viewport = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; left: number; top: number }>(undefined);
  // Compound states drawn closed (the API's `collapse`), and every compound state seen so far.
  const [collapsed, setCollapsed] = useState<string[]>([]);
  const [compounds, setCompounds] = useState<string[]>([]);
  const source = collapsed.length ? `${path}${path.includes('?') ? '&' : '?'}collapse=${collapsed.map(encodeURIComponent).join(',')}` : path;

  useEffect(() => {
    let live = true;
    apiText(source, 'image/svg+xml')
      .then((svg) => {
        if (!live) return;
        if (current.current) URL.revokeObjectURL(current.current);
        current.current = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
        setSpot(currentSpot(svg));
        setCompounds((seen) => [...new Set([...seen, ...compoundStates(svg).map((c) => c.path)])].sort());
        setUrl(current.current);
        setProblem(undefined);
      })
      .catch((err: unknown) => live && setProblem(err instanceof ApiError ? err.problem : { title: 'The diagram failed to load', status: 0 }));
    return () => {
      live = false;
    };
  }, [source, JSON.stringify(version)]);

  useEffect(() => () => void (current.current && URL.revokeObjectURL(current.current)), []);

  /** Scrolls the viewport so the current state is in its middle. */
  const showCurrent = () => {
    const v = viewport.current;
    const img = v?.querySelector('img');
    if (!v || !img || !spot) return;
    v.scrollLeft = spot.x * img.clientWidth - v.clientWidth / 2;
    v.scrollTop = spot.y * img.clientHeight - v.clientHeight / 2;
  };
  // A chart much wider than the page is unreadable fitted: it opens at its natural size, on its current state.
  const onLoad = (e: React.SyntheticEvent<HTMLImageElement>) => {
    const img = e.currentTarget;
    setNatural({ w: img.naturalWidth, h: img.naturalHeight });
    if (zoom === undefined) setZoom(img.naturalWidth > 1.5 * (viewport.current?.clientWidth ?? img.naturalWidth) ? 1 : 'fit');
  };
  useEffect(() => {
    if (typeof zoom === 'number') requestAnimationFrame(showCurrent);
  }, [zoom, spot, natural]);

  if (problem) return <ProblemAlert problem={problem} />;
  if (!url) return <p className="muted">Rendering the diagram…</p>;
  const step = (dir: 1 | -1) =>
    setZoom((z) => {
      const at = typeof z === 'number' ? z : natural && viewport.current ? viewport.current.clientWidth / natural.w : 1;
      const next = dir > 0 ? ZOOMS.find((x) => x > at + 1e-6) : [...ZOOMS].reverse().find((x) => x < at - 1e-6);
      return next ?? (dir > 0 ? ZOOMS[ZOOMS.length - 1] : ZOOMS[0]);
    });
  const width = typeof zoom === 'number' && natural ? `${Math.round(natural.w * zoom)}px` : undefined;
  return (
    <>
      <div className="diagram-tools small" role="toolbar" aria-label="Diagram view">
        <button type="button" className="link" aria-label="Zoom out" onClick={() => step(-1)}>
          −
        </button>
        <span aria-live="polite" data-testid="diagram-zoom">
          {zoom === 'fit' || zoom === undefined ? 'fit' : `${Math.round(zoom * 100)} %`}
        </span>
        <button type="button" className="link" aria-label="Zoom in" onClick={() => step(1)}>
          +
        </button>
        <button type="button" className="link" aria-pressed={zoom === 'fit'} onClick={() => setZoom('fit')}>
          Fit to width
        </button>
        <button type="button" className="link" aria-pressed={zoom === 1} onClick={() => setZoom(1)}>
          Actual size
        </button>
        {spot?.current && (
          <button type="button" className="link" onClick={() => (typeof zoom === 'number' ? showCurrent() : setZoom(1))}>
            Show current state
          </button>
        )}
        <a href={url} target="_blank" rel="noreferrer">
          Open in a new tab
        </a>
      </div>
      {compounds.length > 0 && (
        <div className="diagram-tools small" role="group" aria-label="Compound states">
          <span className="muted">compound states:</span>
          {compounds.map((c) => {
            const closed = collapsed.includes(c);
            return (
              <button
                key={c}
                type="button"
                className="link mono"
                aria-pressed={closed}
                aria-label={`${closed ? 'Expand' : 'Collapse'} ${c}`}
                onClick={() => setCollapsed((now) => (closed ? now.filter((x) => x !== c) : [...now, c]))}
              >
                {closed ? '⊞' : '⊟'} {c}
              </button>
            );
          })}
        </div>
      )}
      <div
        ref={viewport}
        className={`diagram${typeof zoom === 'number' ? ' diagram-zoomed' : ''}`}
        onPointerDown={(e) => {
          if (typeof zoom !== 'number' || !viewport.current) return;
          drag.current = { x: e.clientX, y: e.clientY, left: viewport.current.scrollLeft, top: viewport.current.scrollTop };
          viewport.current.setPointerCapture(e.pointerId);
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d || !viewport.current) return;
          viewport.current.scrollLeft = d.left - (e.clientX - d.x);
          viewport.current.scrollTop = d.top - (e.clientY - d.y);
        }}
        onPointerUp={() => (drag.current = undefined)}
        onWheel={(e) => {
          // Ctrl (or pinch) + wheel zooms; the plain wheel scrolls the page as ever.
          if (!e.ctrlKey) return;
          e.preventDefault();
          step(e.deltaY < 0 ? 1 : -1);
        }}
      >
        <img src={url} alt={label} onLoad={onLoad} draggable={false} style={width ? { width, maxWidth: 'none' } : undefined} />
      </div>
    </>
  );
}
