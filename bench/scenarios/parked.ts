// Scenario 3: "waiting is free" — workflows parked on a signal cost rows, not memory:
// worker RSS, database size and start latency as the number of parked workflows grows.
import type { BenchConfig } from '../config';
import { PARKED } from '../definitions';
import { runBounded, withProgress } from '../driver';
import { progress, sleep } from '../infra';
import type { Section, TargetCheck } from '../section';
import { fmt, mb, median, percentile } from '../stats';
import { StateraSystem } from '../systems/statera';

interface SizePoint {
  size: number;
  fillRate: number;
  workerRss: number;
  apiRss: number;
  dbBytes: number;
  bytesPerWorkflow: number;
  startP50: number;
  startP99: number;
}

export async function parked(cfg: BenchConfig): Promise<Section> {
  const points: SizePoint[] = [];
  const statera = await StateraSystem.create('pk', { workerNodeArgs: cfg.workerNodeArgs });
  try {
    const worker = await statera.addWorker();
    // The empty, migrated database: growth is counted from here.
    let previous = { size: 0, dbBytes: await statera.databaseSize() };
    let filled = 0;
    for (const size of cfg.parkedSizes) {
      // Fill through the engine's start, many at a time; the timed sample below counts too.
      const todo = size - filled - cfg.startSample;
      const began = performance.now();
      let done = 0;
      await withProgress(
        runBounded(Math.max(0, todo), cfg.fillConcurrency, async (i) => {
          await statera.start(PARKED, `fill-${filled + i}`, { n: filled + i });
          done++;
        }),
        5000,
        () => progress(`fill ${fmt(filled + done, 0)}/${fmt(size, 0)} (${fmt((done / (performance.now() - began)) * 1000, 0)} starts/s)`),
      );
      const fillRate = (Math.max(0, todo) / (performance.now() - began)) * 1000;
      filled += Math.max(0, todo);
      // Let the fill's writes settle (WAL, autovacuum of the new rows) before timing.
      await sleep(2000);
      // One start at a time, so the latency is the start's own and not a queue's.
      const latencies: number[] = [];
      for (let i = 0; i < cfg.startSample; i++) {
        const t = performance.now();
        await statera.start(PARKED, `sample-${size}-${i}`, { n: i });
        latencies.push(performance.now() - t);
      }
      filled += cfg.startSample;
      // Let the worker's sweeps and garbage collection settle, then take the median of three readings.
      await sleep(2000);
      const rss: number[] = [];
      for (let i = 0; i < 3; i++) {
        rss.push(worker.rss());
        await sleep(1000);
      }
      const dbBytes = await statera.databaseSize();
      const point = {
        size,
        bytesPerWorkflow: (dbBytes - previous.dbBytes) / (size - previous.size),
        fillRate,
        workerRss: median(rss),
        apiRss: process.memoryUsage().rss,
        dbBytes,
        startP50: percentile(latencies, 50),
        startP99: percentile(latencies, 99),
      };
      points.push(point);
      previous = point;
      progress(`${fmt(size, 0)} parked: worker RSS ${fmt(mb(point.workerRss))} MB, database ${fmt(mb(point.dbBytes))} MB, start p99 ${fmt(point.startP99)} ms`);
    }
    const [{ n }] = await statera.dataSource.query(`SELECT count(*)::int AS n FROM workflow_instance WHERE status = 'waiting'`);
    if (n !== filled) progress(`expected ${filled} waiting workflows, found ${n}`);
  } finally {
    await statera.close();
  }
  return report(cfg, points);
}

function report(cfg: BenchConfig, points: SizePoint[]): Section {
  const first = points[0];
  const rows = points.map((p) => [
    fmt(p.size, 0),
    fmt(p.fillRate),
    fmt(mb(p.workerRss), 1),
    fmt(mb(p.apiRss), 1),
    fmt(mb(p.dbBytes), 1),
    fmt(p.bytesPerWorkflow, 0),
    fmt(p.startP50),
    fmt(p.startP99),
  ]);
  const targets: TargetCheck[] = [];
  const at100k = points.find((p) => p.size === 100_000);
  const at10k = points.find((p) => p.size === 10_000);
  if (at10k && at100k) {
    const growth = at100k.workerRss / at10k.workerRss - 1;
    // "Flat": within 10 % — a worker's RSS moves that much with heap growth and GC timing alone.
    targets.push({ target: 'worker RSS flat from 10 k to 100 k waiting (≤ +10 %)', measured: `${fmt(mb(at10k.workerRss), 1)} → ${fmt(mb(at100k.workerRss), 1)} MB (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)} %)`, met: growth <= 0.1 });
  }
  if (points.length > 1) {
    // The cost of one more start must not grow with the number parked: each size against the smallest.
    const base = points[0].startP99;
    const worst = Math.max(...points.slice(1).map((p) => p.startP99));
    const growth = worst / base - 1;
    targets.push({
      target: `start p99 at every size ≤ 1.2 × at ${fmt(points[0].size, 0)}`,
      measured: points.map((p) => `${fmt(p.startP99)} ms`).join(' → ') + ` (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 0)} %)`,
      met: growth <= 0.2,
      comment: growth <= 0.2 ? undefined : `over by ${fmt((growth - 0.2) * 100, 0)} points`,
    });
  } else {
    targets.push({ target: 'start p99 within 20 % across sizes', measured: `one size only (${fmt(first?.startP99)} ms)`, met: undefined });
  }
  return {
    title: `3. Waiting is free — workflows parked on a signal (${points.map((p) => fmt(p.size, 0)).join(', ')})`,
    headers: ['parked', 'fill starts/s', 'worker RSS MB', 'API RSS MB', 'database MB', 'bytes/workflow', 'start p50 ms', 'start p99 ms'],
    rows,
    targets,
    notes: [
      `Fill: the engine's \`start\`, ${cfg.fillConcurrency} at a time, in the benchmark process (which plays the API; its RSS is "API RSS"). Start latency: ${cfg.startSample} starts one at a time at each size.`,
      'Worker RSS: VmRSS of the `ROLE=worker` process (/proc), median of three readings after 2 s of quiet. Database size: `pg_database_size`; bytes/workflow is the growth since the previous size, the first from the empty migrated database (instance row, history record, outbox row, indexes).',
    ],
  };
}
