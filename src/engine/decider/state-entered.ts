/** The entry time of every active state, kept across steps; the states left, with the time spent in each. */
export function trackStates(before: readonly string[], entered: Record<string, string>, after: readonly string[], now: Date) {
  const at = now.toISOString();
  const kept = new Set(after);
  const left: { state: string; seconds: number }[] = [];
  for (const path of before) {
    if (kept.has(path)) continue;
    const since = entered[path];
    if (since) left.push({ state: path, seconds: Math.max(0, (now.getTime() - Date.parse(since)) / 1000) });
  }
  const next: Record<string, string> = {};
  for (const path of after) next[path] = before.includes(path) && entered[path] ? entered[path] : at;
  return { entered: next, left };
}
