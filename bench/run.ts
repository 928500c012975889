// `npm run bench [-- --quick | --large | --only=… --systems=…]`: runs the scenarios against
// the local PostgreSQL and Redis, prints the table, writes the results file.
// `npm run bench -- --only=throughput --systems=statera` is the optimiser's loop.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type BenchConfig, type Scenario } from './config';
import { cleanupAll, progress } from './infra';
import { describeEnvironment, renderMarkdown, renderText } from './report';
import type { Section } from './section';
import { parked } from './scenarios/parked';
import { scaleout } from './scenarios/scaleout';
import { throughput } from './scenarios/throughput';
import { timers } from './scenarios/timers';

const RUNNERS: Record<Scenario, (cfg: BenchConfig) => Promise<Section>> = { throughput, timers, parked, scaleout };

function outputFile(cfg: BenchConfig, date: string): string {
  // A smoke or partial run never replaces the full results.
  if (cfg.mode === 'full' && !cfg.partial) return path.join(__dirname, 'RESULTS.md');
  const stamp = date.replace(/[:.]/g, '-');
  return path.join(__dirname, 'results', `${cfg.mode === 'quick' ? 'quick' : 'partial'}-${stamp}.md`);
}

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const began = performance.now();
  const env = await describeEnvironment(cfg);
  process.stderr.write(`Statera benchmark (${cfg.mode}${cfg.large ? ', large' : ''}): ${cfg.scenarios.join(', ')} on ${[...cfg.systems].join(', ')}\n`);
  const sections: Section[] = [];
  const failures: string[] = [];
  for (const scenario of cfg.scenarios) {
    progress(`— ${scenario} —`);
    try {
      sections.push(await RUNNERS[scenario](cfg));
    } catch (err) {
      // One scenario failing still lets the others report; the exit code says it failed.
      failures.push(`${scenario}: ${(err as Error).stack ?? String(err)}`);
      progress(`${scenario} failed: ${(err as Error).message}`);
      await cleanupAll();
    }
  }
  const wall = (performance.now() - began) / 1000;
  process.stdout.write(`\n${renderText(env, sections, wall)}\n`);
  const file = outputFile(cfg, env.date);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderMarkdown(env, sections, wall, failures));
  process.stdout.write(`results written to ${path.relative(process.cwd(), file)}\n`);
  if (failures.length) {
    process.stderr.write(`${failures.length} scenario(s) failed:\n${failures.join('\n')}\n`);
    process.exitCode = 1;
  }
}

// pg 8 warns about a query queued on a busy client, which DBOS's pool does on connect:
// noise on every run, not something this benchmark or the engine does. Other warnings show.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!/already executing a query/.test(w.message)) process.stderr.write(`${w.name}: ${w.message}\n`);
});

// Dropping a database WITH (FORCE) ends the idle connections a library's pool still holds
// (DBOS's pools sometimes outlive its shutdown by a moment); the pool reports 57P01 with no
// listener to take it. That is this benchmark's own cleanup, not a failure; anything else is.
process.on('uncaughtException', (err: Error & { code?: string }) => {
  if (err?.code === '57P01') return;
  process.stderr.write(`${err?.stack ?? String(err)}\n`);
  void cleanupAll().finally(() => process.exit(1));
});

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping workers, dropping the benchmark's databases and queue prefixes…\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    // Pools and sockets of libraries that do not close everything would keep the process alive.
    setTimeout(() => process.exit(), 200).unref();
  });
