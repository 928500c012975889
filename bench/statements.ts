// Statements per five-step workflow: the engine and its workers in this one process, every
// SQL statement counted where TypeORM sends it. The hot path's cost on this machine is
// mostly round trips, so this is the number the optimisation of ANALYSIS.md worked on.
//   node -r @swc-node/register bench/statements.ts [workflows]
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { EngineRuntime } from '../src/engine/runtime';
import { query } from '../src/engine/sql';
import { createDataSource, migrate } from '../src/persistence/data-source';
import { definitions, FIVE_STEP } from './definitions';
import { runBounded } from './driver';
import { createDatabase, deletePrefix, dropDatabase, newPrefix, REDIS_URL, sleep } from './infra';

const counts = new Map<string, number>();
let counting = false;

/** Counts by the statement's first words, so the table reads as the kinds of statement sent. */
function countStatements(): void {
  const proto = PostgresQueryRunner.prototype as unknown as { query: (sql: string, ...rest: unknown[]) => Promise<unknown> };
  const send = proto.query;
  proto.query = function (sql: string, ...rest: unknown[]) {
    if (counting) {
      const kind = sql.trim().replace(/\s+/g, ' ').slice(0, 48);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    return send.call(this, sql, ...rest);
  };
}

async function main(): Promise<void> {
  const workflows = Number(process.argv[2] ?? 500);
  countStatements();
  const database = await createDatabase('stmts');
  const prefix = newPrefix('stmts');
  const dataSource = createDataSource(database.url, 20);
  await dataSource.initialize();
  await migrate(dataSource);
  const runtime = new EngineRuntime({
    dataSource,
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    definitions,
    workers: true,
    worker: { concurrency: { activities: 64, timers: 8, effects: 8, events: 8 } },
    log: () => undefined,
  });
  try {
    await runtime.start();
    counting = true;
    const began = Date.now();
    await runBounded(workflows, 64, async (i) => {
      await runtime.engine.start({ type: FIVE_STEP, input: { n: i } }, { actor: 'bench:statements' });
    });
    for (;;) {
      const [{ n }] = await query<{ n: number }>(dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE status = 'completed'`);
      if (n >= workflows) break;
      await sleep(50);
    }
    counting = false;
    const seconds = (Date.now() - began) / 1000;
    const rows = [...counts].filter(([kind]) => !kind.startsWith('SELECT count(*)::int AS n FROM workflow_instance')).sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((sum, [, n]) => sum + n, 0);
    process.stdout.write(`${workflows} five-step workflows in ${seconds.toFixed(1)} s (${(workflows / seconds).toFixed(0)}/s, one process)\n`);
    process.stdout.write(`statements per workflow: ${(total / workflows).toFixed(1)}\n`);
    for (const [kind, n] of rows) if (n / workflows >= 0.05) process.stdout.write(`${(n / workflows).toFixed(2).padStart(7)}  ${kind}\n`);
  } finally {
    await runtime.stop();
    await dataSource.destroy();
    await dropDatabase(database.name);
    await deletePrefix(prefix);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
