// Scenario 2: workflows each waiting on a 1 s timer — how late the timers fire.
import type { BenchConfig } from '../config';
import { progress } from '../infra';
import type { Section, TargetCheck } from '../section';
import { fmt, median, summarize, type LatencySummary } from '../stats';
import { BullmqSystem } from '../systems/bullmq';
import { DbosSystem } from '../systems/dbos';
import { StateraSystem } from '../systems/statera';

type TimerRunner = { runTimers(count: number, inFlight: number, tag: string, pacingMs?: number): Promise<number[]>; close(): Promise<void> };

/** The spread run: this many 1 s timers, one started every SPREAD_PACING_MS (10 s in all). */
const SPREAD = 200;
const SPREAD_PACING_MS = 50;

export async function timers(cfg: BenchConfig): Promise<Section> {
  const runners = new Map<string, TimerRunner>();
  const results = new Map<string, LatencySummary[]>();
  const spreads = new Map<string, LatencySummary[]>();
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
        if (name === 'dbos') continue;
        progress(`timers repeat ${r + 1}/${cfg.repeats}: ${name} ${SPREAD} workflows with a 1 s timer, one every ${SPREAD_PACING_MS} ms`);
        const spread = summarize(await runners.get(name)!.runTimers(SPREAD, cfg.inFlight, `s${r}-${name}`, SPREAD_PACING_MS));
        spreads.set(name, [...(spreads.get(name) ?? []), spread]);
        progress(`  lateness p50 ${fmt(spread.p50)} ms, p99 ${fmt(spread.p99)} ms, max ${fmt(spread.max)} ms`);
      }
    }
  } finally {
    for (const runner of runners.values()) await runner.close().catch((err) => progress(`close failed: ${(err as Error).message}`));
  }
  const medOf = (m: Map<string, LatencySummary[]>, name: string, f: (s: LatencySummary) => number) => median((m.get(name) ?? []).map(f));
  const med = (name: string, f: (s: LatencySummary) => number) => medOf(results, name, f);
  const targets: TargetCheck[] = [];
  if (results.has('statera') && results.has('bullmq')) {
    const [ours, raw] = [med('statera', (s) => s.p99), med('bullmq', (s) => s.p99)];
    targets.push({ target: `timer lateness p99 at ${cfg.timers} timers ≤ raw BullMQ's p99`, measured: `${fmt(ours)} vs ${fmt(raw)} ms`, met: ours <= raw, comment: ours <= raw ? undefined : `${fmt(ours - raw)} ms later than BullMQ` });
  }
  if (spreads.has('statera')) {
    const p99 = medOf(spreads, 'statera', (s) => s.p99);
    targets.push({ target: `timer lateness p99 ≤ 25 ms, ${SPREAD} timers spread over ${(SPREAD * SPREAD_PACING_MS) / 1000} s`, measured: `${fmt(p99)} ms`, met: p99 <= 25, comment: p99 <= 25 ? undefined : `late by ${fmt(p99 - 25)} ms over the target` });
  }
  const row = (m: Map<string, LatencySummary[]>, label: (name: string) => string) =>
    [...m.keys()].map((name) => [label(name), fmt(medOf(m, name, (s) => s.p50)), fmt(medOf(m, name, (s) => s.p99)), fmt(medOf(m, name, (s) => s.max)), String(m.get(name)!.length)]);
  return {
    title: `2. Timers — ${cfg.timers} workflows each waiting on a 1 s timer, started ${cfg.inFlight} at a time; ${SPREAD} more spread over ${(SPREAD * SPREAD_PACING_MS) / 1000} s`,
    headers: ['system', 'lateness p50 ms', 'p99 ms', 'max ms', 'repeats'],
    rows: [...row(results, (n) => n), ...row(spreads, (n) => `${n}, ${SPREAD} spread`)],
    targets,
    notes: [
      'Statera: `timer.fired_at − timer.due_at` (the transaction that applied the fire minus the due time the start transaction computed). A timer due within `LOCAL_TIMER_HORIZON_MS` (60 s) is held by the process whose transaction set it (here the benchmark process, which plays the API) and fired from memory into its group commit; the BullMQ delayed job, 2 s later, is the backstop and is removed once the fire commits.',
      'DBOS: wall clock after `DBOS.sleep(1000)` minus before it, minus 1 s, inside the workflow. Raw BullMQ: a delayed job\'s run time minus its `timestamp + delay`.',
    ],
  };
}
