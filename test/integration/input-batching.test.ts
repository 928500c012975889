import type { ActivityJob } from '../../src/engine/store/jobs';
import { InputBatcher } from '../../src/engine/workers/input-batcher';
import { query } from '../../src/engine/store/sql';
import { startHarness, USER, type Harness } from '../support/harness';
import { flaky } from '../support/test-definitions';

// No workers: this file plays the worker, handing results to the engine itself.
let h: Harness;
beforeAll(async () => {
  h = await startHarness('batching', [flaky], { workers: false });
});
afterAll(() => h.close());

async function started(id: string): Promise<ActivityJob> {
  await h.runtime.engine.start({ type: 'test-flaky', workflowId: id, input: { failures: 0 } }, USER);
  const [a] = await query(h.db.dataSource, `SELECT * FROM activity WHERE workflow_id = $1 AND status = 'scheduled'`, [id]);
  return { workflowId: id, invocationId: a.id, type: 'test-flaky', version: 1, src: a.src, activityId: a.child_id, input: a.input, idempotencyKey: a.idempotency_key, attemptsBefore: 0 };
}

const ok = (job: ActivityJob) => ({ kind: 'activity' as const, job, result: { ok: true as const, output: { from: job.workflowId }, worker: 'test' } });

test('results that arrive together are committed in one transaction, each on its own instance', async () => {
  const a = await started('together-a');
  const b = await started('together-b');
  await h.runtime.engine.applyTogether([ok(b), ok(a)]);
  const rows = await query(h.db.dataSource, `SELECT id, status, output, xmin::text AS xid FROM workflow_instance WHERE id IN ('together-a', 'together-b') ORDER BY id`);
  expect(rows.map((r) => [r.id, r.status, r.output])).toEqual([
    ['together-a', 'completed', { result: { from: 'together-a' } }],
    ['together-b', 'completed', { result: { from: 'together-b' } }],
  ]);
  // One writing transaction for both rows: one commit.
  expect(rows[0].xid).toBe(rows[1].xid);
  const history = await h.history('together-a');
  expect(history.filter((r) => r.kind === 'activity.completed')).toHaveLength(1);
});

test('an input that cannot be applied fails alone: the batch falls back to one transaction each', async () => {
  const a = await started('fallback-a');
  const b = await started('fallback-b');
  const missing = { ...a, workflowId: 'no-such-workflow' };
  // One transaction at a time, so the three wait for the first and then go together.
  const together: number[] = [];
  const engine = h.runtime.engine;
  const batcher = new InputBatcher(
    { applyTogether: (inputs) => (together.push(inputs.length), engine.applyTogether(inputs)), applyInput: (input) => engine.applyInput(input) },
    { maxBatch: 10, inFlight: 1 },
  );
  const first = await started('fallback-first');
  const results = await Promise.allSettled([batcher.submit(ok(first)), batcher.submit(ok(a)), batcher.submit(ok(missing)), batcher.submit(ok(b))]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect(((results[2] as PromiseRejectedResult).reason as { code?: string }).code).toBe('workflow_not_found');
  expect(together).toEqual([3]);
  for (const id of ['fallback-first', 'fallback-a', 'fallback-b']) expect((await h.get(id)).status).toBe('completed');
  // Each applied exactly once, whichever transaction it went in.
  for (const id of ['fallback-a', 'fallback-b']) {
    expect((await h.history(id)).filter((r) => r.kind === 'activity.completed')).toHaveLength(1);
  }
});

test('the same result twice in one batch is applied once and discarded once', async () => {
  const a = await started('twice');
  await h.runtime.engine.applyTogether([ok(a), ok(a)]);
  const kinds = (await h.history('twice')).map((r) => r.kind);
  expect(kinds.filter((k) => k === 'activity.completed')).toHaveLength(1);
  expect(kinds.filter((k) => k === 'activity.result.discarded')).toHaveLength(1);
});
