// What every system's run reports, and the bounded-concurrency loop that drives them all alike.

/** One repeat of the five-step workload on one system. */
export interface ThroughputRun {
  system: string;
  completed: number;
  failed: number;
  wallMs: number;
  /** start → complete of each workflow, in ms (from the system's own records where it keeps them). */
  latencies: number[];
  /** Engine transactions one workflow needed (Statera only): start + one per activity result. */
  transactionsPerWorkflow?: number;
  /** CPU-seconds of the benchmark, its worker processes and the PostgreSQL and Redis servers during the run (bench/cost.ts). */
  cpuSeconds?: number;
  /** PostgreSQL WAL written during the run. */
  walBytes?: number;
  /** Checked after the run, outside its timing (Statera only). */
  integrity?: Integrity;
}

/**
 * What the history says of a run: workflows that completed more than once, and activity
 * executions per idempotency key (every attempt that reported: a completion, a failure, a
 * failed attempt to be retried, or a late result discarded). At least once allows
 * duplicates; with nothing crashed there should be none.
 */
export interface Integrity {
  workflows: number;
  completedTwice: number;
  keys: number;
  executions: number;
  keysRunTwice: number;
}

export const workflowsPerSecond = (r: ThroughputRun) => (r.completed / r.wallMs) * 1000;

/** Runs `task(0..count-1)` with at most `limit` in flight; the first failure is rethrown at the end. */
export async function runBounded(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (next < count && failure === undefined) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  if (failure !== undefined) throw failure;
}

/** Calls `report` every `everyMs` while `work` runs: progress lines for long fills. */
export async function withProgress<T>(work: Promise<T>, everyMs: number, report: () => void): Promise<T> {
  const timer = setInterval(report, everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Starts `task(i)` at `i × spacingMs` from now, whatever the others are doing, and waits for them all. */
export async function runPaced(count: number, spacingMs: number, task: (i: number) => Promise<void>): Promise<void> {
  const t0 = performance.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * spacingMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    running.push(task(i));
  }
  await Promise.all(running);
}

/** `pacing`: one start every that many ms (runPaced); otherwise at most `inFlight` at once (runBounded). */
export function runStarts(count: number, inFlight: number, pacingMs: number | undefined, task: (i: number) => Promise<void>): Promise<void> {
  return pacingMs ? runPaced(count, pacingMs, task) : runBounded(count, inFlight, task);
}
