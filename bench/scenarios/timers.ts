// Scenario 2: workflows each waiting on a 1 s timer — how late the timers fire.
import type { BenchConfig } from '../config';
import { progress } from '../infra';
import type { Section } from '../section';
import { fmt, median, summarize, type LatencySummary } from '../stats';
import { BullmqSystem } from '../systems/bullmq';
import { DbosSystem } from '../systems/dbos';
import { StateraSystem } from '../systems/statera';

type TimerRunner = { runTimers(count: number, inFlight: number, tag: string): Promise<number[]>; close(): Promise<void> };

export async function timers(cfg: BenchConfig): Promise<Section> {
  const runners = new Map<string, TimerRunner>();
  const results = new Map<string, LatencySummary[]>();
  try {
    if (cfg.systems.has('statera')) {
      const statera = await StateraSystem.create('tm', { workerNodeArgs: cfg.workerNodeArgs });
      await statera.addWorker();
      runners.set('statera', statera);
    }
    if (cfg.systems.has('dbos')) runners.set('dbos', await DbosSystem.create('tm'));
    if (cfg.systems.has('bullmq')) runners.set('bullmq', await BullmqSystem.create('tm'));
    const order = [...runners.keys()];
    for (let r = 0; r < cfg.repeats; r++) {
      for (const name of order.map((_, i) => order[(i + r) % order.length])) {
        progress(`timers repeat ${r + 1}/${cfg.repeats}: ${name} ${cfg.timers} workflows with a 1 s timer`);
        const lateness = await runners.get(name)!.runTimers(cfg.timers, cfg.inFlight, `r${r}-${name}`);
        if (lateness.length < cfg.timers) progress(`${name}: only ${lateness.length} of ${cfg.timers} timers fired`);
        const s = summarize(lateness);
        results.set(name, [...(results.get(name) ?? []), s]);
        progress(`  lateness p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, max ${fmt(s.max)} ms`);
      }
    }
  } finally {
    for (const runner of runners.values()) await runner.close().catch((err) => progress(`close failed: ${(err as Error).message}`));
  }
  const med = (name: string, f: (s: LatencySummary) => number) => median((results.get(name) ?? []).map(f));
  const p99 = med('statera', (s) => s.p99);
  return {
    title: `2. Timers — ${cfg.timers} workflows each waiting on a 1 s timer, started ${cfg.inFlight} at a time`,
    headers: ['system', 'lateness p50 ms', 'p99 ms', 'max ms', 'repeats'],
    rows: [...results.keys()].map((name) => [name, fmt(med(name, (s) => s.p50)), fmt(med(name, (s) => s.p99)), fmt(med(name, (s) => s.max)), String(results.get(name)!.length)]),
    targets: results.has('statera')
      ? [{ target: 'Statera timer lateness p99 ≤ 100 ms', measured: `${fmt(p99)} ms`, met: p99 <= 100, comment: p99 <= 100 ? undefined : `late by ${fmt(p99 - 100)} ms over the target` }]
      : [],
    notes: [
      'Statera: `timer.fired_at − timer.due_at` (the transaction that applied the fire minus the due time the start transaction computed); the fire is a BullMQ delayed job run by the worker process.',
      'DBOS: wall clock after `DBOS.sleep(1000)` minus before it, minus 1 s, inside the workflow. Raw BullMQ: a delayed job\'s run time minus its `timestamp + delay`.',
    ],
  };
}
