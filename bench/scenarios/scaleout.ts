// Scenario 4: the five-step workload with one and with two worker processes on one box.
import type { BenchConfig } from '../config';
import { workflowsPerSecond, type ThroughputRun } from '../driver';
import { progress } from '../infra';
import type { Section } from '../section';
import { fmt, median, percentile } from '../stats';
import { StateraSystem } from '../systems/statera';

export async function scaleout(cfg: BenchConfig): Promise<Section> {
  const runs = new Map<number, ThroughputRun[]>([[1, []], [2, []]]);
  const statera = await StateraSystem.create('so', { workerNodeArgs: cfg.workerNodeArgs });
  try {
    await statera.addWorker();
    progress('scale-out warm-up: 1 worker');
    await statera.runFiveStep(Math.min(100, Math.ceil(cfg.workflows / 5)), cfg.inFlight, 'warm');
    for (let r = 0; r < cfg.repeats; r++) {
      for (const workers of r % 2 === 0 ? [1, 2] : [2, 1]) {
        // The second worker is started before and stopped after its run, outside the timing.
        if (workers === 2) await statera.addWorker();
        progress(`scale-out repeat ${r + 1}/${cfg.repeats}: ${workers} worker process${workers > 1 ? 'es' : ''}, ${cfg.workflows} workflows`);
        const run = await statera.runFiveStep(cfg.workflows, cfg.inFlight, `r${r}-w${workers}`);
        runs.get(workers)!.push(run);
        progress(`  ${fmt(workflowsPerSecond(run))} workflows/s, p99 ${fmt(percentile(run.latencies, 99))} ms`);
        if (workers === 2) await statera.removeWorker();
      }
    }
  } finally {
    await statera.close();
  }
  const wfs = (w: number) => median(runs.get(w)!.map(workflowsPerSecond));
  return {
    title: `4. Scale-out on one box — the five-step workload with 1 and 2 worker processes`,
    headers: ['worker processes', 'workflows/s', 'p50 ms', 'p99 ms', '× one worker', 'repeats'],
    rows: [1, 2].map((w) => [
      String(w),
      fmt(wfs(w)),
      fmt(median(runs.get(w)!.map((r) => percentile(r.latencies, 50)))),
      fmt(median(runs.get(w)!.map((r) => percentile(r.latencies, 99)))),
      `${fmt(wfs(w) / wfs(1), 2)}×`,
      String(runs.get(w)!.length),
    ]),
    targets: [],
    notes: [
      'Same database server, the same starting process; only the number of `ROLE=worker` processes changes. On a machine with few cores the workers, the starting process and PostgreSQL share them, so the second worker adds less than on a box with cores to spare.',
    ],
  };
}
