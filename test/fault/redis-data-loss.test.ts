import { approval, slow } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { deleteRedisKeys, waitFor } from '../support/env';
import { query } from '../../src/engine/sql';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('redisloss', [approval, slow], { worker: { concurrency: { activities: 10, timers: 8, effects: 4, events: 4 }, lockDurationMs: 5000, stalledIntervalMs: 1000 } });
});
afterAll(() => h.close());

test('Redis loses its data while 100 workflows wait on timers and activities: all of them still complete', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) {
    ids.push((await h.runtime.engine.start({ type: 'test-approval', workflowId: `timer-${i}`, input: { timeoutMs: 2500 } }, USER)).workflow.id);
    ids.push((await h.runtime.engine.start({ type: 'test-slow', workflowId: `activity-${i}`, input: { ms: 1500 } }, USER)).workflow.id);
  }
  const timerJobs = await h.runtime.queues.queues.timers.getDelayedCount();
  expect(timerJobs).toBe(50);

  // With 10 activity slots, 40 activity jobs are still waiting in Redis when it loses them.
  // Only this file's keys: what other test files keep in the same Redis is untouched.
  const deleted = await deleteRedisKeys(h.prefix);
  expect(deleted).toBeGreaterThan(0);
  expect(await h.runtime.queues.queues.timers.getDelayedCount()).toBe(0);

  await waitFor(async () => {
    const [row] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE id = ANY($1) AND status = 'completed'`, [ids]);
    return row.n === 100;
  }, 'all 100 workflows to complete', 30_000, 200);

  const [expired] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE type = 'test-approval' AND state_value = '"expired"'`);
  expect(expired.n).toBe(50);
  const [done] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM activity WHERE status = 'completed'`);
  expect(done.n).toBe(50);
});
