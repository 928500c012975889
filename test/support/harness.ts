import type { WorkflowDefinition } from '../../src/engine';
import { query } from '../../src/engine/store/sql';
import { EngineRuntime, type RuntimeOptions } from '../../src/engine/runtime';
import type { WorkflowView } from '../../src/engine/store/instance';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, testPrefix, waitFor, type TestDatabase } from './env';

export interface Harness {
  db: TestDatabase;
  prefix: string;
  runtime: EngineRuntime;
  get(id: string): Promise<WorkflowView & { raw: any }>;
  history(id: string): Promise<any[]>;
  until(id: string, statuses: string[], timeoutMs?: number): Promise<WorkflowView>;
  close(): Promise<void>;
}

/** An engine with its own database and queue prefix, workers in this process, short sweeps. */
export async function startHarness(label: string, definitions: readonly WorkflowDefinition[], overrides: Partial<RuntimeOptions> = {}): Promise<Harness> {
  const db = await createTestDatabase(label);
  const prefix = testPrefix(label);
  const runtime = new EngineRuntime({
    dataSource: db.dataSource,
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    definitions,
    workers: true,
    sweepIntervalMs: 500,
    worker: { lockDurationMs: 5000, stalledIntervalMs: 1000 },
    // Quiet by default: failed attempts are the point of many tests. TEST_ENGINE_LOG=1 shows them.
    log: process.env.TEST_ENGINE_LOG ? undefined : () => undefined,
    ...overrides,
  });
  await runtime.start();
  const get = async (id: string) => {
    const [row] = await query(db.dataSource, 'SELECT * FROM workflow_instance WHERE id = $1', [id]);
    if (!row) throw new Error(`no workflow ${id}`);
    return { id: row.id, status: row.status, state: row.state_value, output: row.output, error: row.error, version: row.version, context: row.snapshot.context, raw: row } as any;
  };
  const harness: Harness = {
    db,
    prefix,
    runtime,
    get,
    history: (id) => query(db.dataSource, 'SELECT * FROM workflow_history WHERE workflow_id = $1 ORDER BY seq', [id]),
    until: (id, statuses, timeoutMs = 20_000) =>
      waitFor(async () => {
        const w = await get(id);
        return statuses.includes(w.status) ? w : undefined;
      }, `${id} to reach ${statuses.join('|')}`, timeoutMs),
    async close() {
      // `harness.runtime`: a test may have replaced the engine it started with.
      await harness.runtime.stop();
      await db.drop();
      // The queue prefix is this file's own: leave nothing of it in the shared Redis.
      await deleteRedisKeys(prefix);
    },
  };
  return harness;
}

export const USER = { actor: 'test:user', origin: { requestId: 'req-test' } };
