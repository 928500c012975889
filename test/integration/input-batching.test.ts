import { fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine';
import type { ActivityJob } from '../../src/engine/store/jobs';
import { InputBatcher } from '../../src/engine/workers/input-batcher';
import { query } from '../../src/engine/store/sql';
import { startHarness, USER, type Harness } from '../support/harness';
import { flaky } from '../support/test-definitions';

// Two activities at once; the first to finish ends the workflow, which stops the other.
const race = defineWorkflow({
  type: 'test-race',
  version: 1,
  machine: setup({ actors: { step: fromPromise<unknown>(async () => undefined) } }).createMachine({
    id: 'race',
    initial: 'racing',
    states: {
      racing: { invoke: [{ id: 'x', src: 'step', onDone: 'done' }, { id: 'y', src: 'step', onDone: 'done' }] },
      done: { type: 'final' },
    },
  }),
  input: z.object({}),
  exampleInput: {},
  activities: { step: { run: async () => ({}) } },
});

// No workers: this file plays the worker, handing results to the engine itself.
let h: Harness;
beforeAll(async () => {
  h = await startHarness('batching', [flaky, race], { workers: false });
});
afterAll(() => h.close());

const jobOf = (type: string, a: any): ActivityJob => ({ workflowId: a.workflow_id, invocationId: a.id, type, version: 1, src: a.src, activityId: a.child_id, input: a.input, idempotencyKey: a.idempotency_key, attemptsBefore: 0 });

async function started(id: string): Promise<ActivityJob> {
  await h.runtime.engine.start({ type: 'test-flaky', workflowId: id, input: { failures: 0 } }, USER);
  const [a] = await query(h.db.dataSource, `SELECT * FROM activity WHERE workflow_id = $1 AND status = 'scheduled'`, [id]);
  return jobOf('test-flaky', a);
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

test('two results of one instance in a batch go in order: the first ends the workflow, and the second, whose invocation that stopped, is discarded', async () => {
  await h.runtime.engine.start({ type: 'test-race', workflowId: 'race-1', input: {} }, USER);
  const [x, y] = (await query(h.db.dataSource, `SELECT * FROM activity WHERE workflow_id = 'race-1' ORDER BY child_id`)).map((a) => jobOf('test-race', a));
  const other = await started('race-other');
  await h.runtime.engine.applyTogether([ok(y), ok(other), ok(x)]);
  expect((await h.get('race-1')).status).toBe('completed');
  const history = await h.history('race-1');
  expect(history.filter((r) => r.kind === 'activity.completed').map((r) => r.data.invocationId)).toEqual([y.invocationId]);
  expect(history.filter((r) => r.kind === 'activity.result.discarded').map((r) => r.data.invocationId)).toEqual([x.invocationId]);
  const rows = await query(h.db.dataSource, `SELECT child_id, status FROM activity WHERE workflow_id = 'race-1' ORDER BY child_id`);
  expect(rows.map((r) => [r.child_id, r.status])).toEqual([
    ['x', 'cancelled'],
    ['y', 'completed'],
  ]);
  expect((await h.get('race-other')).status).toBe('completed');
});

test('in a batch, the input of a paused instance is held while the others apply', async () => {
  const paused = await started('held-in-batch');
  const running = await started('applied-in-batch');
  await h.runtime.operations.pause('held-in-batch', { actor: { actor: 'principal:ops' }, reason: 'looking into it' });
  await h.runtime.engine.applyTogether([ok(paused), ok(running)]);
  expect((await h.get('applied-in-batch')).status).toBe('completed');
  expect((await h.get('held-in-batch')).status).toBe('paused');
  const [row] = await query(h.db.dataSource, `SELECT status FROM activity WHERE workflow_id = 'held-in-batch'`);
  expect(row.status).toBe('held');
  const [{ n }] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM held_input WHERE workflow_id = 'held-in-batch'`);
  expect(n).toBe(1);
});
