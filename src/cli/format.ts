/** Plain-text output for people: aligned tables, key/value blocks, short times. */

export type Cell = string | number | boolean | null | undefined;

function cell(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/\s*\n\s*/g, ' ');
}

/** Columns padded to their widest cell, two spaces apart; the last one is not padded. */
export function table(headers: readonly string[], rows: readonly Cell[][]): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(cell))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** `label  value` lines, labels aligned. */
export function keyValues(pairs: readonly [string, Cell][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

/** An ISO timestamp to the second, in UTC: `2026-01-31T09:00:00Z`. */
export function time(iso: string | null | undefined): string | null {
  if (!iso) return null;
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** A workflow's state as dotted paths: `awaitingApproval`, `review.pending`, `a.x, b.y` for parallel states. */
export function stateText(state: unknown): string {
  if (typeof state === 'string') return state;
  if (state === null || typeof state !== 'object') return cell(state as Cell);
  const paths = Object.entries(state as Record<string, unknown>).map(([k, v]) => {
    const inner = stateText(v);
    return inner && inner !== '-' ? inner.split(', ').map((p) => `${k}.${p}`).join(', ') : k;
  });
  return paths.join(', ');
}

/** Compact JSON for one cell or line; `-` for nothing. */
export function compact(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value);
}

/** Elapsed time as a person reads it: `0.4s`, `12.0s`, `3m05s`. */
export function elapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
