// Scenario 1: 5-step workflows, at most 64 in flight, on Statera, DBOS Transact and raw
// BullMQ, alternating per repeat, next to the rate this PostgreSQL commits a transition.
import type { BenchConfig, SystemName } from '../config';
import { withCost } from '../cost';
import { workflowsPerSecond, type Integrity, type ThroughputRun } from '../driver';
import { progress } from '../infra';
import type { Section, TargetCheck } from '../section';
import { fmt, median, percentile, ratio } from '../stats';
import { BullmqSystem } from '../systems/bullmq';
import { DbosSystem } from '../systems/dbos';
import { PgLimit } from '../systems/pg-limit';
import { StateraSystem } from '../systems/statera';

type Runner = { runFiveStep(count: number, inFlight: number, tag: string): Promise<ThroughputRun>; checkIntegrity?(tag: string): Promise<Integrity>; close(): Promise<void> };

export async function throughput(cfg: BenchConfig): Promise<Section> {
  const runners = new Map<SystemName, Runner>();
  let limit: PgLimit | undefined;
  const runs = new Map<SystemName, ThroughputRun[]>();
  const solo = new Map<SystemName, ThroughputRun[]>();
  const limits: number[] = [];
  try {
    if (cfg.systems.has('statera')) {
      const statera = await StateraSystem.create('tp', { workerNodeArgs: cfg.workerNodeArgs });
      await statera.addWorker();
      runners.set('statera', statera);
    }
    if (cfg.systems.has('dbos')) runners.set('dbos', await DbosSystem.create('tp'));
    if (cfg.systems.has('bullmq')) runners.set('bullmq', await BullmqSystem.create('tp'));
    if (cfg.systems.has('limit')) limit = await PgLimit.create('tp', cfg.limitClients);

    // Warm-up, not counted: JIT, pools, first-use paths of each system.
    const warm = Math.min(100, Math.ceil(cfg.workflows / 5));
    for (const [name, runner] of runners) {
      progress(`throughput warm-up: ${name} ${warm} workflows`);
      await runner.runFiveStep(warm, cfg.inFlight, `warm-${name}`);
    }
    const order: SystemName[] = [...runners.keys(), ...(limit ? (['limit'] as const) : [])];
    for (let r = 0; r < cfg.repeats; r++) {
      // Alternate who goes first, so drift (autovacuum, other load) does not favour one system.
      const turn = order.map((_, i) => order[(i + r) % order.length]);
      for (const name of turn) {
        progress(`throughput repeat ${r + 1}/${cfg.repeats}: ${name}${name === 'limit' ? ` (${cfg.limitClients} clients, ${cfg.limitSeconds} s)` : ` ${cfg.workflows} workflows`}`);
        if (name === 'limit') {
          limits.push((await limit!.measure(cfg.limitSeconds * 1000, `r${r}`)).commitsPerSecond);
          continue;
        }
        const measured = await withCost(() => runners.get(name)!.runFiveStep(cfg.workflows, cfg.inFlight, `r${r}-${name}`));
        const run: ThroughputRun = { ...measured.result, cpuSeconds: measured.cpuSeconds, walBytes: measured.walBytes };
        if (run.failed > 0) progress(`${name}: ${run.failed} workflows did not complete`);
        run.integrity = await runners.get(name)!.checkIntegrity?.(`r${r}-${name}`);
        if (run.integrity) progress(`  ${describeIntegrity(run.integrity)}`);
        runs.set(name, [...(runs.get(name) ?? []), run]);
        progress(`  ${fmt(workflowsPerSecond(run))} workflows/s, p99 ${fmt(percentile(run.latencies, 99))} ms, ${fmt(cpuPerThousand(run), 1)} CPU-s per 1,000, ${fmt(walPerWorkflow(run) / 1024, 1)} KB WAL per workflow`);
      }
    }
    // One workflow in flight: the latency of a workflow alone, the floor being about a commit per step.
    const soloOrder = (['statera', 'dbos'] as const).filter((n) => runners.has(n));
    for (let r = 0; r < cfg.repeats; r++) {
      for (const name of soloOrder.map((_, i) => soloOrder[(i + r) % soloOrder.length])) {
        progress(`one in flight, repeat ${r + 1}/${cfg.repeats}: ${name} ${cfg.soloWorkflows} workflows one at a time`);
        const run = await runners.get(name)!.runFiveStep(cfg.soloWorkflows, 1, `solo${r}-${name}`);
        solo.set(name, [...(solo.get(name) ?? []), run]);
        progress(`  p50 ${fmt(percentile(run.latencies, 50))} ms, p99 ${fmt(percentile(run.latencies, 99))} ms`);
      }
    }
  } finally {
    for (const runner of runners.values()) await runner.close().catch((err) => progress(`close failed: ${(err as Error).message}`));
    await limit?.close().catch(() => undefined);
  }
  return report(cfg, runs, limits, solo);
}

function describeIntegrity(i: Integrity): string {
  return `${i.completedTwice} of ${i.workflows} workflows completed twice; ${i.executions} activity executions for ${i.keys} keys, ${i.keysRunTwice} keys run more than once`;
}

const cpuPerThousand = (r: ThroughputRun) => ((r.cpuSeconds ?? NaN) / r.completed) * 1000;
const walPerWorkflow = (r: ThroughputRun) => (r.walBytes ?? NaN) / r.completed;

function report(cfg: BenchConfig, runs: Map<SystemName, ThroughputRun[]>, limits: number[], solo: Map<SystemName, ThroughputRun[]>): Section {
  const med = (name: SystemName, f: (r: ThroughputRun) => number) => median((runs.get(name) ?? []).map(f));
  const wfs = (name: SystemName) => med(name, workflowsPerSecond);
  const tpw = med('statera', (r) => r.transactionsPerWorkflow ?? NaN);
  const limit = median(limits);
  const bound = (0.5 * limit) / tpw;
  const rows: string[][] = [];
  for (const name of ['statera', 'dbos', 'bullmq'] as const) {
    if (!runs.has(name)) continue;
    rows.push([
      name,
      fmt(wfs(name)),
      name === 'statera' ? fmt(wfs(name) * tpw) : '—',
      fmt(med(name, (r) => percentile(r.latencies, 50))),
      fmt(med(name, (r) => percentile(r.latencies, 99))),
      name === 'statera' ? '1.00×' : ratio(wfs('statera'), wfs(name)),
      fmt(med(name, cpuPerThousand), 1),
      name === 'bullmq' ? '—' : fmt(med(name, walPerWorkflow) / 1024, 1),
      String(runs.get(name)!.length),
    ]);
  }
  const soloMed = (name: SystemName, p: number) => median((solo.get(name) ?? []).map((r) => percentile(r.latencies, p)));
  for (const name of ['statera', 'dbos'] as const) {
    if (solo.has(name)) rows.push([`${name}, one in flight`, '—', '—', fmt(soloMed(name, 50)), fmt(soloMed(name, 99)), '—', '—', '—', String(solo.get(name)!.length)]);
  }
  if (limits.length) rows.push([`PostgreSQL limit (${cfg.limitClients} clients)`, `${fmt(limit / tpw)}*`, `${fmt(limit)} commits/s`, '—', '—', ratio(wfs('statera'), limit / tpw), '—', '—', String(limits.length)]);
  const targets: TargetCheck[] = [];
  if (runs.has('statera') && runs.has('dbos')) {
    const x = wfs('statera') / wfs('dbos');
    targets.push({
      target: '5-step throughput ≥ 2× DBOS',
      measured: `${fmt(x, 2)}×`,
      met: x >= 2,
      comment: x >= 2 ? undefined : `short by ${fmt((1 - x / 2) * 100, 0)} % (${fmt(wfs('statera'))} vs the ${fmt(2 * wfs('dbos'))} workflows/s needed)`,
    });
  }
  if (runs.has('statera') && runs.has('dbos')) {
    const ours = med('statera', (r) => percentile(r.latencies, 99));
    const theirs = med('dbos', (r) => percentile(r.latencies, 99));
    targets.push({ target: `p99 start→complete at ${cfg.inFlight} in flight ≤ DBOS's p99`, measured: `${fmt(ours)} vs ${fmt(theirs)} ms`, met: ours <= theirs, comment: ours <= theirs ? undefined : `${fmt(ours - theirs)} ms later than DBOS` });
  }
  if (solo.has('statera') && solo.has('dbos')) {
    const ours = soloMed('statera', 50);
    const theirs = soloMed('dbos', 50);
    targets.push({ target: "five-step latency with one workflow in flight: p50 ≤ DBOS's p50", measured: `${fmt(ours)} vs ${fmt(theirs)} ms`, met: ours <= theirs, comment: ours <= theirs ? undefined : `${fmt(ours - theirs)} ms slower than DBOS` });
  }
  if (runs.has('statera') && runs.has('dbos')) {
    const cpu = med('statera', cpuPerThousand) / med('dbos', cpuPerThousand);
    targets.push({
      target: 'CPU-seconds per 1,000 workflows ≤ 0.5× DBOS',
      measured: `${fmt(cpu, 2)}× (${fmt(med('statera', cpuPerThousand), 1)} vs ${fmt(med('dbos', cpuPerThousand), 1)} s)`,
      met: cpu <= 0.5,
      comment: cpu <= 0.5 ? undefined : `${fmt(cpu / 0.5, 1)}× over the target`,
    });
    const wal = med('statera', walPerWorkflow) / med('dbos', walPerWorkflow);
    targets.push({
      target: 'WAL bytes per workflow ≤ DBOS',
      measured: `${fmt(wal, 2)}× (${fmt(med('statera', walPerWorkflow) / 1024, 1)} vs ${fmt(med('dbos', walPerWorkflow) / 1024, 1)} KB)`,
      met: wal <= 1,
      comment: wal <= 1 ? undefined : `${fmt(wal, 1)}× DBOS's bytes`,
    });
  }
  const checked = (runs.get('statera') ?? []).flatMap((r) => (r.integrity ? [r.integrity] : []));
  if (checked.length > 0) {
    const sum = (f: (i: Integrity) => number) => checked.reduce((a, i) => a + f(i), 0);
    const total: Integrity = { workflows: sum((i) => i.workflows), completedTwice: sum((i) => i.completedTwice), keys: sum((i) => i.keys), executions: sum((i) => i.executions), keysRunTwice: sum((i) => i.keysRunTwice) };
    targets.push({
      target: 'no workflow completed twice; each activity ran once (nothing crashed), all repeats',
      measured: describeIntegrity(total),
      met: total.completedTwice === 0 && total.keysRunTwice === 0,
      comment: total.completedTwice > 0 ? 'a workflow completed twice' : total.keysRunTwice > 0 ? `${total.executions - total.keys} duplicate executions with no crash` : undefined,
    });
  }
  if (runs.has('statera') && limits.length) {
    const x = wfs('statera') / bound;
    targets.push({
      target: `≥ ½ × physical limit ÷ ${fmt(tpw, 1)} transactions per workflow = ${fmt(bound)} workflows/s`,
      measured: `${fmt(wfs('statera'))} workflows/s (${fmt((wfs('statera') / (limit / tpw)) * 100, 0)} % of the limit)`,
      met: x >= 1,
      comment: x >= 1 ? undefined : `short by ${fmt((1 - x) * 100, 0)} %`,
    });
  }
  return {
    title: `1. Throughput and latency — ${cfg.workflows} five-step workflows, at most ${cfg.inFlight} in flight`,
    headers: ['system', 'workflows/s', 'transitions/s', 'p50 ms', 'p99 ms', 'Statera ÷ this', 'CPU-s / 1,000 wf', 'WAL KB / wf', 'repeats'],
    rows,
    targets,
    notes: [
      'Statera: started with the engine\'s `start` in the benchmark process (what the REST API calls, without HTTP); activities run by one `ROLE=worker` process (src/main.ts); latency = `ended_at − created_at` of each instance row. Completion is observed by polling the in-flight ids by primary key every 10 ms.',
      'DBOS Transact: `DBOS.startWorkflow` + `getResult` in the benchmark process, which is also where DBOS runs the steps (`DBOS.runStep`); system database on the same server; latency = `updated_at − created_at` of `dbos.workflow_status`.',
      `One in flight: ${cfg.soloWorkflows} workflows per repeat started one after the other, each when the one before ended, after the throughput repeats; same latency measures.`,
      'Raw BullMQ: five chained jobs (each adds the next), worker concurrency 16 in the benchmark process, no PostgreSQL; latency measured in process from the first add to the fifth job.',
      `Transitions: a Statera workflow here takes ${fmt(tpw, 1)} engine transactions (the start + one per activity result, from \`workflow_instance.version\`). * The limit row's workflows/s is commits/s ÷ that number: the ceiling if PostgreSQL did nothing else.`,
      'Cost: CPU-seconds (utime + stime from /proc) of the benchmark process and its descendants (Statera\'s worker process) plus every PostgreSQL and Redis server process, over each repeat, per 1,000 completed workflows; WAL bytes = `pg_wal_lsn_diff` of `pg_current_wal_lsn()` across the repeat, per completed workflow. Both count whatever else the machine and the server did meanwhile, so the benchmark runs alone.',
      'Physical limit: each client commits BEGIN; SELECT … FOR UPDATE; UPDATE activity; INSERT activity; INSERT 2 history rows (~500 B jsonb); UPDATE instance (~2 KB snapshot); INSERT outbox; COMMIT; then UPDATE outbox dispatched — tables and indexes shaped like the engine\'s.',
    ],
  };
}
