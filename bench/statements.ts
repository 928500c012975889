// Statements per five-step workflow: the engine and its workers in this one process, every
// SQL statement counted where TypeORM sends it. The hot path's cost on this machine is
// mostly round trips, so this is the number the optimisation of ANALYSIS.md worked on.
// Then the WAL the run wrote, per workflow, by relation and with the full-page images apart
// (pg_walinspect, which needs a superuser): where the bytes per transition go.
//   node -r @swc-node/register bench/statements.ts [workflows]
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { EngineRuntime } from '../src/engine/runtime';
import { query } from '../src/engine/store/sql';
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
    await query(dataSource, 'CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    const [{ lsn }] = await query<{ lsn: string }>(dataSource, 'SELECT pg_current_wal_lsn()::text AS lsn');
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
    await walReport(dataSource, lsn, workflows);
  } finally {
    await runtime.stop();
    await dataSource.destroy();
    await dropDatabase(database.name);
    await deletePrefix(prefix);
  }
}

/** Bytes of WAL since `lsn`, per workflow: by the relation of each record's first block, full-page images apart. */
async function walReport(dataSource: Parameters<typeof query>[0], lsn: string, workflows: number): Promise<void> {
  const rows = await query<{ relation: string; records: number; bytes: number; fpi: number }>(
    dataSource,
    `WITH r AS (
       SELECT record_length, fpi_length, substring(block_ref from 'rel \\d+/\\d+/(\\d+)')::oid AS filenode, resource_manager
       FROM pg_get_wal_records_info($1::pg_lsn, pg_current_wal_lsn()))
     SELECT coalesce(pg_filenode_relation(0, filenode)::regclass::text, CASE WHEN filenode IS NULL THEN resource_manager ELSE 'other database or catalog' END) AS relation,
            count(*)::int AS records, sum(record_length)::bigint AS bytes, sum(fpi_length)::bigint AS fpi
     FROM r GROUP BY 1 ORDER BY 3 DESC`,
    [lsn],
  );
  const total = rows.reduce((sum, r) => sum + Number(r.bytes), 0);
  const fpi = rows.reduce((sum, r) => sum + Number(r.fpi), 0);
  process.stdout.write(`WAL per workflow: ${(total / workflows / 1024).toFixed(1)} KB, of which full-page images ${(fpi / workflows / 1024).toFixed(1)} KB\n`);
  process.stdout.write(`${'bytes/wf'.padStart(9)} ${'FPI/wf'.padStart(8)} ${'records/wf'.padStart(10)}  relation\n`);
  for (const r of rows) {
    if (Number(r.bytes) / workflows < 20) continue;
    process.stdout.write(`${(Number(r.bytes) / workflows).toFixed(0).padStart(9)} ${(Number(r.fpi) / workflows).toFixed(0).padStart(8)} ${(r.records / workflows).toFixed(1).padStart(10)}  ${r.relation}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
