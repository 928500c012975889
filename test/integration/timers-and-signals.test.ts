import { approval, child, counter, parent, sponsor } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { sleep } from '../support/env';
import { DomainError } from '../../src/engine/errors/domain.error';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('timers', [approval, counter, child, parent, sponsor]);
});
afterAll(() => h.close());

test('a timer fires after its delay', async () => {
  const started = Date.now();
  const { workflow } = await h.runtime.engine.start({ type: 'test-approval', workflowId: 'timer-fires', input: { timeoutMs: 400 } }, USER);
  expect(workflow.status).toBe('waiting');
  const done = await h.until(workflow.id, ['completed']);
  expect(done.state).toBe('expired');
  const history = await h.history(workflow.id);
  const set = history.find((r) => r.kind === 'timer.set');
  const fired = history.find((r) => r.kind === 'timer.fired');
  expect(set.data.delayMs).toBe(400);
  expect(new Date(fired.recorded_at).getTime() - new Date(set.recorded_at).getTime()).toBeGreaterThanOrEqual(400);
  expect(Date.now() - started).toBeGreaterThanOrEqual(400);
});

test('a timer cancelled by leaving its state never fires', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-approval', workflowId: 'timer-cancelled', input: { timeoutMs: 300 } }, USER);
  const after = await h.runtime.engine.signal(workflow.id, { type: 'approval.granted' }, USER);
  expect(after.status).toBe('completed');
  await sleep(900);
  const history = await h.history(workflow.id);
  const kinds = history.map((r) => r.kind);
  expect(kinds).toContain('timer.cancelled');
  expect(kinds).not.toContain('timer.fired');
  // The delayed job was removed from BullMQ, so not even a discarded fire is recorded.
  expect(kinds).not.toContain('timer.discarded');
  const job = await h.runtime.queues.queues.timers.getJob(`t-${history.find((r) => r.kind === 'timer.set').data.timerId}`);
  expect(job).toBeUndefined();
  expect((await h.get(workflow.id)).state).toBe('approved');
});

test('an event not accepted in the current state is refused and recorded', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-approval', workflowId: 'refused-event', input: { timeoutMs: 60_000 } }, USER);
  await h.runtime.engine.signal(workflow.id, { type: 'approval.granted' }, USER);
  await expect(h.runtime.engine.signal(workflow.id, { type: 'approval.granted' }, USER)).rejects.toMatchObject({ code: 'event_not_accepted' });
  const last = (await h.history(workflow.id)).filter((r) => r.kind === 'event.received').pop();
  expect(last.outcome).toBe('rejected');
  expect(last.actor).toBe('test:user');
});

test('50 concurrent signals to one instance: every accepted one applied, version advanced by exactly that many', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-counter', workflowId: 'counter-1', input: { limit: 30 } }, USER);
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, () => h.runtime.engine.signal(workflow.id, { type: 'counter.incremented' }, USER)),
  );
  const accepted = results.filter((r) => r.status === 'fulfilled').length;
  const refused = results.filter((r) => r.status === 'rejected');
  expect(accepted).toBe(30);
  for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DomainError);
  const after = await h.get(workflow.id);
  expect(after.context).toMatchObject({ count: 30 });
  expect(after.version - workflow.version).toBe(30);
  const history = await h.history(workflow.id);
  expect(history.filter((r) => r.kind === 'event.received' && r.outcome === 'accepted')).toHaveLength(30);
  expect(history.filter((r) => r.kind === 'event.received' && r.outcome === 'rejected')).toHaveLength(20);
  expect(history.map((r) => r.seq)).toEqual(history.map((_, i) => i + 1));
});

test('a child workflow\'s output reaches the parent', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-parent', workflowId: 'parent-1', input: { n: 21 } }, USER);
  const done = await h.until(workflow.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  expect(done.output).toEqual({ fromChild: { doubled: 42 } });
  const kid = await h.get('parent-1:kid:1');
  expect(kid.status).toBe('completed');
  expect(kid.raw.parent_id).toBe('parent-1');
});

test('cancelling a parent stops its timers and cancels its waiting child', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-sponsor', workflowId: 'sponsor-1', input: {} }, USER);
  const kidId = 'sponsor-1:approval:1';
  const kid = await h.get(kidId);
  expect(kid.status).toBe('waiting');
  const kidTimer = (await h.history(kidId)).find((r) => r.kind === 'timer.set').data.timerId;
  expect(await h.runtime.queues.queues.timers.getJob(`t-${kidTimer}`)).toBeDefined();

  const cancelled = await h.runtime.engine.cancel(workflow.id, USER, 'customer withdrew');
  expect(cancelled.status).toBe('cancelled');
  const kidAfter = await h.until(kidId, ['cancelled']);
  expect(kidAfter.status).toBe('cancelled');
  expect(await h.runtime.queues.queues.timers.getJob(`t-${kidTimer}`)).toBeUndefined();
  const kinds = (await h.history(workflow.id)).map((r) => r.kind);
  expect(kinds).toEqual(expect.arrayContaining(['cancellation.requested', 'child.cancelled', 'workflow.cancelled']));
  await expect(h.runtime.engine.cancel(workflow.id, USER)).rejects.toMatchObject({ code: 'workflow_terminal' });
});
