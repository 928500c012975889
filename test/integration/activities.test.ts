import { query } from '../../src/engine/store/sql';
import { attempts, flaky, guarded, loop } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { waitFor } from '../support/env';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('activities', [flaky, guarded, loop]);
});
afterAll(() => h.close());

test('an activity that fails twice then succeeds runs three attempts with one idempotency key', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-flaky', workflowId: 'flaky-1', input: { failures: 2 } }, USER);
  const done = await h.until(workflow.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  const mine = attempts.filter((a) => a.idempotencyKey.startsWith('flaky-1/'));
  expect(mine.map((a) => a.attempt)).toEqual([1, 2, 3]);
  expect(new Set(mine.map((a) => a.idempotencyKey))).toEqual(new Set(['flaky-1/call/1']));
  expect(done.output).toEqual({ result: { attempt: 3, key: 'flaky-1/call/1' } });
  const kinds = (await h.history(workflow.id)).map((r) => r.kind);
  expect(kinds.filter((k) => k === 'activity.attempt.failed')).toHaveLength(2);
  expect(kinds).toContain('activity.completed');
});

test('a non-retryable error goes straight to the error transition', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-guarded', workflowId: 'refuse-1', input: { mode: 'refuse' } }, USER);
  const done = await h.until(workflow.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  expect(done.state).toBe('refused');
  expect(attempts.filter((a) => a.idempotencyKey === 'refuse-1/partner/1')).toHaveLength(1);
});

test('an activity exceeding its timeout is retried, then opens an incident (the machine handles only a refusal)', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-guarded', workflowId: 'hang-1', input: { mode: 'hang' } }, USER);
  const incident = await waitFor(async () => (await query(h.db.dataSource, `SELECT * FROM incident WHERE workflow_id = $1`, [workflow.id]))[0], 'the incident');
  expect(incident).toMatchObject({ kind: 'activity_exhausted', status: 'open' });
  expect(incident.input.result.error).toMatchObject({ name: 'ActivityTimeoutError' });
  expect((await h.get(workflow.id)).state).toBe('calling');
  const mine = attempts.filter((a) => a.idempotencyKey === 'hang-1/partner/1');
  expect(mine.map((a) => a.attempt)).toEqual([1, 2, 3]);
  // Each attempt's AbortSignal fired at the timeout.
  await waitFor(async () => mine.every((a) => a.aborted), 'every attempt to see its abort');
});

test('a loop re-entering an invoking state ignores the previous iteration\'s late result', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-loop', workflowId: 'loop-1', input: {} }, USER);
  await waitFor(async () => attempts.some((a) => a.idempotencyKey === 'loop-1/work/1'), 'the first iteration to start');
  await h.runtime.engine.signal(workflow.id, { type: 'attempt.restarted' }, USER);
  const done = await h.until(workflow.id, ['completed', 'failed']);
  expect(done.output).toEqual({ result: { iteration: 2 } });
  const history = await h.history(workflow.id);
  const late = history.findIndex((r) => r.kind === 'activity.result.discarded');
  const completed = history.findIndex((r) => r.kind === 'activity.completed' && r.outcome === 'accepted');
  // The late result arrived first, while the re-entered state was waiting on iteration 2.
  expect(late).toBeGreaterThan(-1);
  expect(late).toBeLessThan(completed);
  const discarded = history.find((r) => r.kind === 'activity.result.discarded');
  expect(discarded.event).toEqual({ type: 'xstate.done.actor.work', output: { iteration: 1 } });
  expect(discarded.idempotency_key).toBe('loop-1/work/1');
});
