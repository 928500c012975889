import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type Problem } from './api';

/** Pages poll every 2 s (paused while the tab is hidden) only while their live stream (live.ts) is down. */
export const POLL_MS = 2000;

export interface Polled<T> {
  data: T | undefined;
  problem: Problem | undefined;
  loading: boolean;
  /** Fetch now (after an action), without waiting for the next tick. */
  reload: () => void;
}

/**
 * Loads now, again whenever `deps` change, and every `everyMs` (null: only on changes).
 * `resetOn` (default: the deps) is what makes the shown data stale at once: a version bump
 * keeps the old data until the new arrives, another workflow does not.
 */
export function usePoll<T>(load: () => Promise<T>, deps: readonly unknown[], everyMs: number | null = POLL_MS, resetOn: readonly unknown[] = deps): Polled<T> {
  // Data is kept with the reset key it was loaded for: after a change, the old data is never shown, not even for a frame.
  const resetKey = JSON.stringify(resetOn);
  const [loaded, setLoaded] = useState<{ key: string; value: T }>();
  const [problem, setProblem] = useState<Problem>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    setProblem(undefined);
    setLoading(true);
  }, [resetKey]);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current();
        if (!live) return;
        setLoaded({ key: resetKey, value });
        setProblem(undefined);
      } catch (err) {
        if (!live) return;
        setProblem(err instanceof ApiError ? err.problem : { title: 'Unexpected error', status: 0, detail: String(err) });
      } finally {
        if (live) {
          setLoading(false);
          if (everyMs !== null) timer = setTimeout(() => (document.hidden ? schedule() : void run()), everyMs);
        }
      }
    };
    const schedule = () => {
      timer = setTimeout(() => (document.hidden ? schedule() : void run()), everyMs ?? POLL_MS);
    };
    void run();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, everyMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: loaded?.key === resetKey ? loaded.value : undefined, problem, loading, reload };
}
