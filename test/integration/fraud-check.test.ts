import { fraudCheckDefinition } from '../../machines/fraud-check';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startHarness, USER, type Harness } from '../support/harness';
import { signalOrDecide } from '../support/decide';
import type { EventObject } from 'xstate';

let sandbox: RunningSandbox;
let partners: SandboxClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5_000 });
  h = await startHarness('fraud-check', [fraudCheckDefinition({ partners }, { lowThreshold: 40, highThreshold: 75, reviewSlaMs: 1500 })]);
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

const input = (transactionId: string) => ({ transactionId, amount: { value: 125_000, currency: 'EUR' }, payer: 'acc-payer', payee: 'acc-payee' });

/** The scorer answers `score` to this workflow's call only. */
async function scoreWillBe(workflowId: string, score: number): Promise<void> {
  await partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: `${workflowId}/`, path: '/fraud/scores' }, outcome: 'ok', body: { score } }]);
}

async function start(workflowId: string) {
  const { workflow } = await h.runtime.engine.start({ type: 'fraud-check', workflowId, input: input(workflowId) }, USER);
  return workflow.id;
}

test('a low score is approved by the rules', async () => {
  await scoreWillBe('fc-low', 12);
  const done = await h.until(await start('fc-low'), ['completed', 'failed']);
  expect(done.status).toBe('completed');
  expect(done.output).toEqual({ decision: 'approved', score: 12, decidedBy: 'rules' });
});

test('a high score is declined by the rules', async () => {
  await scoreWillBe('fc-high', 88);
  const done = await h.until(await start('fc-high'), ['completed', 'failed']);
  expect(done.output).toEqual({ decision: 'declined', score: 88, decidedBy: 'rules' });
});

test('a middling score waits for an analyst, whose approval decides', async () => {
  await scoreWillBe('fc-review', 55);
  const id = await start('fc-review');
  const waiting = await h.until(id, ['waiting']);
  expect(waiting.state).toBe('awaitingReview');
  // The analyst's decision is the completion of the review task.
  await signalOrDecide(h, id, { type: 'review.approved', reviewer: 'analyst-7', note: 'known merchant' } as EventObject, USER);
  const done = await h.until(id, ['completed', 'failed']);
  expect(done.output).toEqual({ decision: 'approved', score: 55, decidedBy: 'analyst' });
  expect(done.context).toMatchObject({ reviewer: 'analyst-7', note: 'known merchant' });
  const history = await h.history(id);
  const machineTimers = history.filter((r) => r.kind.startsWith('timer.') && !String(r.data?.sendId ?? '').startsWith('task:'));
  expect(machineTimers.map((r) => r.kind)).toContain('timer.cancelled');
  expect(machineTimers.map((r) => r.kind)).not.toContain('timer.fired');
  expect(history.find((r) => r.kind === 'task.completed')).toMatchObject({ actor: 'principal:analyst-7' });
});

test('a review decision with an invalid form is refused, and a signal cannot bypass the task', async () => {
  await scoreWillBe('fc-invalid', 50);
  const id = await start('fc-invalid');
  await h.until(id, ['waiting']);
  await expect(signalOrDecide(h, id, { type: 'review.approved', reviewer: 'analyst-2', note: 5 } as EventObject, USER)).rejects.toMatchObject({ code: 'validation_failed' });
  await expect(h.runtime.engine.signal(id, { type: 'review.approved', reviewer: 'analyst-2' } as EventObject, USER)).rejects.toMatchObject({ code: 'task_required' });
  expect((await h.get(id)).state).toBe('awaitingReview');
});

test('when the review SLA lapses the transaction is declined', async () => {
  await scoreWillBe('fc-sla', 60);
  const id = await start('fc-sla');
  const done = await h.until(id, ['completed', 'failed']);
  expect(done.output).toEqual({ decision: 'declined', score: 60, decidedBy: 'sla' });
  const history = await h.history(id);
  const set = history.find((r) => r.kind === 'timer.set' && !String(r.data.sendId).startsWith('task:'));
  expect(set.data.delayMs).toBe(1500);
  expect(history.map((r) => r.kind)).toContain('timer.fired');
  // Too late: the decision is made.
  await expect(h.runtime.engine.signal(id, { type: 'review.approved', reviewer: 'analyst-1' } as EventObject, USER)).rejects.toMatchObject({ code: 'event_not_accepted' });
});

test('a scorer that fails twice is retried with the same key, then decides', async () => {
  await partners.admin.script('fraud', [
    { match: { idempotencyKeyPrefix: 'fc-flaky/', path: '/fraud/scores' }, outcome: 'error', status: 503, times: 2 },
    { match: { idempotencyKeyPrefix: 'fc-flaky/', path: '/fraud/scores' }, outcome: 'ok', body: { score: 5 } },
  ]);
  const done = await h.until(await start('fc-flaky'), ['completed', 'failed']);
  expect(done.output).toEqual({ decision: 'approved', score: 5, decidedBy: 'rules' });
  const history = await h.history('fc-flaky');
  const failures = history.filter((r) => r.kind === 'activity.attempt.failed');
  expect(failures).toHaveLength(2);
  expect(new Set(failures.map((r) => r.idempotency_key))).toEqual(new Set(['fc-flaky/scoreTransaction/1']));
});

test('a scorer refusal is not retried and fails the check', async () => {
  await partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: 'fc-refused/' }, outcome: 'error', status: 422 }]);
  const done = await h.until(await start('fc-refused'), ['completed', 'failed']);
  expect(done.status).toBe('failed');
  expect(done.error).toMatchObject({ name: 'PartnerRejectedError' });
  expect((await h.history('fc-refused')).filter((r) => r.kind === 'activity.attempt.failed')).toHaveLength(0);
});

test('the example input starts against a fresh sandbox and is scored', async () => {
  const definition = fraudCheckDefinition({ partners });
  const { workflow } = await h.runtime.engine.start({ type: 'fraud-check', workflowId: 'fc-example', input: definition.exampleInput }, USER);
  const settled = await h.until(workflow.id, ['waiting', 'completed']);
  expect((settled.context as { score: unknown }).score).toEqual(expect.any(Number));
});
