import { approval, slow, sponsor } from '../support/test-definitions';
import { EngineRuntime } from '../../src/engine/runtime';
import { startHarness, USER, type Harness } from '../support/harness';
import { deleteRedisKeys, REDIS_URL, waitFor } from '../support/env';
import { query } from '../../src/engine/store/sql';

let h: Harness;
beforeAll(async () => {
  // No eager slots: every activity is a BullMQ job here, so Redis holds them when it loses its
  // data (an eagerly run activity needs no Redis; eager-sigkill.test.ts covers its recovery).
  h = await startHarness('redisloss', [approval, slow, sponsor], { worker: { concurrency: { activities: 10, timers: 8, effects: 4, events: 4 }, eagerActivities: 0, lockDurationMs: 5000, stalledIntervalMs: 1000 } });
});
afterAll(() => h.close());

test('Redis loses its data while 100 workflows wait on timers and activities: all of them still complete', async () => {
  const started = await Promise.all(
    Array.from({ length: 50 }, (_, i) => [
      h.runtime.engine.start({ type: 'test-approval', workflowId: `timer-${i}`, input: { timeoutMs: 5000 } }, USER),
      h.runtime.engine.start({ type: 'test-slow', workflowId: `activity-${i}`, input: { ms: 1500 } }, USER),
    ]).flat(),
  );
  const ids = started.map((s) => s.workflow.id);
  const timerJobs = await h.runtime.queues.queues.timers.getDelayedCount();
  expect(timerJobs).toBe(50);

  // With 10 activity slots, 40 activity jobs are still waiting in Redis when it loses them.
  // Only this file's keys: what other test files keep in the same Redis is untouched.
  // Every job's hash went (the 50 timers and 50 activities at least); the sweeper, running every
  // 500 ms, may already be re-sending them by the time anything here could look.
  const deleted = await deleteRedisKeys(h.prefix);
  expect(deleted).toBeGreaterThan(100);

  await waitFor(async () => {
    const [row] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE id = ANY($1) AND status = 'completed'`, [ids]);
    return row.n === 100;
  }, 'all 100 workflows to complete', 40_000, 200);

  const [expired] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE type = 'test-approval' AND state_value = '"expired"'`);
  expect(expired.n).toBe(50);
  const [done] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM activity WHERE status = 'completed'`);
  expect(done.n).toBe(50);
});

/** A second engine on the same database and queue prefix, for faults this file's own engine must not see. */
function engineBeside(overrides: Partial<ConstructorParameters<typeof EngineRuntime>[0]>): EngineRuntime {
  return new EngineRuntime({ dataSource: h.db.dataSource, redisUrl: REDIS_URL, queuePrefix: h.prefix, definitions: [approval, slow, sponsor], workers: false, ...overrides });
}

test('a start while Redis does not answer commits and returns; the sweeper sends its work once Redis is back', async () => {
  // Nothing listens on port 1: every Redis call of this engine fails or hangs.
  const cut = engineBeside({ redisUrl: 'redis://127.0.0.1:1', relay: { redisTimeoutMs: 300 }, log: () => undefined });
  const t0 = Date.now();
  const { workflow } = await cut.engine.start({ type: 'test-slow', workflowId: 'while-cut', input: { ms: 10 } }, USER);
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(workflow.status).toBe('running');
  const [pending] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM outbox WHERE workflow_id = 'while-cut' AND dispatched_at IS NULL`);
  expect(pending.n).toBe(1);
  await cut.stop();
  // This file's own engine (connected to the real Redis) sweeps it out after the grace period.
  const done = await h.until('while-cut', ['completed'], 20_000);
  expect(done.status).toBe('completed');
});

test('a child\'s end lost with Redis still reaches its parent', async () => {
  await h.runtime.stop();
  const quiet = engineBeside({});
  await quiet.start();
  await quiet.engine.start({ type: 'test-sponsor', workflowId: 'sponsor-lost', input: {} }, USER);
  await quiet.engine.signal('sponsor-lost:approval:1', { type: 'approval.granted' }, USER);
  expect((await h.get('sponsor-lost:approval:1')).status).toBe('completed');
  expect(await quiet.queues.queues.events.getJobCountByTypes('waiting')).toBe(1);
  await quiet.stop();
  await deleteRedisKeys(h.prefix);
  // A fresh engine with workers finds the epoch gone and re-derives the notification from the tables.
  h.runtime = engineBeside({ workers: true, sweepIntervalMs: 500 });
  await h.runtime.start();
  const parent = await h.until('sponsor-lost', ['completed'], 20_000);
  expect(parent.status).toBe('completed');
});

test('after a Redis loss the sweep re-sends every outstanding row, past any page, and a row of a version nobody registers does not stop it', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-approval', workflowId: 'many-timers', input: { timeoutMs: 3_600_000 } }, USER);
  // 6,000 more timers of that workflow, an hour away: beyond the 5,000 one query used to read.
  await query(
    h.db.dataSource,
    `INSERT INTO timer (id, workflow_id, send_id, event, due_at, status)
     SELECT gen_random_uuid(), $1, 'bulk-' || g, '{"type":"bulk.noop"}', now() + interval '1 hour', 'scheduled' FROM generate_series(1, 6000) g`,
    [workflow.id],
  );
  // An instance of a version no process here registers, with an outstanding activity that sorts first.
  await query(
    h.db.dataSource,
    `INSERT INTO workflow_instance SELECT (jsonb_populate_record(NULL::workflow_instance, to_jsonb(w) || '{"id": "ghost-1", "definition_version": 99}')).*
       FROM workflow_instance w WHERE w.id = $1`,
    [workflow.id],
  );
  const [ghost] = await query(
    h.db.dataSource,
    `INSERT INTO activity (id, workflow_id, child_id, kind, src, seq, status, idempotency_key, updated_at)
     VALUES (gen_random_uuid(), 'ghost-1', 'work', 'activity', 'work', 1, 'scheduled', 'ghost-1/work/1', now() - interval '1 day') RETURNING id`,
  );
  await deleteRedisKeys(h.prefix);
  expect(await h.runtime.queues.queues.timers.getDelayedCount()).toBe(0);
  await h.runtime.sweepNow();
  expect(await h.runtime.queues.queues.timers.getDelayedCount()).toBeGreaterThanOrEqual(6001);
  // Skipped (this process could not run it), not sent with a guessed retry policy.
  expect(await h.runtime.queues.queues.activities.getJob(`a-${ghost.id}`)).toBeUndefined();
}, 60_000);
