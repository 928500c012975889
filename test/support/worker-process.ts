// A separate worker process for fault tests: the engine's workers and sweeper over the
// test's database and queue prefix, with the test definitions. Ends on SIGTERM.
import { createDataSource } from '../../src/persistence/data-source';
import { EngineRuntime } from '../../src/engine/runtime';
import { allTestDefinitions } from './test-definitions';
import { crash, crashEager } from './crash-definitions';

async function main(): Promise<void> {
  const dataSource = createDataSource(process.env.DATABASE_URL!, 10);
  await dataSource.initialize();
  const runtime = new EngineRuntime({
    dataSource,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: process.env.QUEUE_PREFIX!,
    definitions: [...allTestDefinitions, crash, crashEager],
    workers: true,
    sweepIntervalMs: 500,
    worker: { lockDurationMs: Number(process.env.LOCK_DURATION_MS ?? 2000), stalledIntervalMs: 500, ...(process.env.EAGER_ACTIVITIES ? { eagerActivities: Number(process.env.EAGER_ACTIVITIES) } : {}) },
  });
  await runtime.start();
  process.send?.('ready');
  process.on('SIGTERM', () => {
    void runtime.stop().then(() => dataSource.destroy()).then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
