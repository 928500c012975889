import { reviewed, reviewedTree } from '../support/test-definitions';
import { startHarness, type Harness } from '../support/harness';
import { waitFor } from '../support/env';
import { TaskService } from '../../src/engine/loop/task-service';
import { query } from '../../src/engine/store/sql';

let h: Harness;
let tasks: TaskService;
const as = (id: string, groups = ['underwriters']) => ({ who: { id, groups, isAdmin: false, tenant: 'default' }, actor: { actor: `principal:${id}` } });
const STARTER = { actor: 'principal:ops-1' };

beforeAll(async () => {
  h = await startHarness('tasks', [reviewed, reviewedTree]);
  tasks = new TaskService(h.db.dataSource, h.runtime.engine);
});
afterAll(() => h.close());

async function openTask(workflowId: string, stateId: string): Promise<string> {
  return waitFor(async () => {
    const [t] = await query(h.db.dataSource, `SELECT id FROM human_task WHERE workflow_id = $1 AND state_id = $2 AND status = 'open'`, [workflowId, stateId]);
    return t?.id as string | undefined;
  }, `an open task in ${stateId}`);
}

test('entering a state opens its task; completing it delivers the decision; a second approver is someone else', async () => {
  await h.runtime.engine.start({ type: 'test-reviewed', workflowId: 'rev-1', input: {} }, STARTER);
  const first = await openTask('rev-1', 'tasks.review');
  const r1 = as('reviewer-1');
  await tasks.claim(first, r1.who, r1.actor);
  await tasks.complete(first, 'approve', { note: 'income verified' }, r1.who, r1.actor);
  const second = await openTask('rev-1', 'tasks.secondReview');
  // The same approver twice: refused with the rule, and recorded.
  await expect(tasks.complete(second, 'approve', {}, r1.who, r1.actor)).rejects.toMatchObject({ code: 'four_eyes_violation' });
  const r2 = as('reviewer-2');
  await tasks.complete(second, 'approve', {}, r2.who, r2.actor);
  const done = await h.get('rev-1');
  expect(done).toMatchObject({ status: 'completed', state: 'approved', output: { reviewer: 'reviewer-1', secondReviewer: 'reviewer-2' } });
  const history = await h.history('rev-1');
  expect(history.find((r) => r.kind === 'task.refused')).toMatchObject({ outcome: 'rejected', actor: 'principal:reviewer-1', reason: expect.stringMatching(/already decided a task in this workflow tree/) });
  expect(history.filter((r) => r.kind === 'task.completed').map((r) => r.actor)).toEqual(['principal:reviewer-1', 'principal:reviewer-2']);
});

test('the principal who started a workflow may not decide its task; another group may not either; a bad form is 400', async () => {
  await h.runtime.engine.start({ type: 'test-reviewed', workflowId: 'rev-2', input: {} }, { actor: 'principal:reviewer-1' });
  const task = await openTask('rev-2', 'tasks.review');
  const self = as('reviewer-1');
  await expect(tasks.complete(task, 'approve', { note: 'mine' }, self.who, self.actor)).rejects.toMatchObject({ code: 'four_eyes_violation', message: expect.stringMatching(/started/) });
  const outsider = as('analyst-9', ['fraud-analysts']);
  await expect(tasks.complete(task, 'approve', { note: 'x' }, outsider.who, outsider.actor)).rejects.toMatchObject({ code: 'task_forbidden' });
  const other = as('reviewer-2');
  await expect(tasks.complete(task, 'approve', { note: '' }, other.who, other.actor)).rejects.toMatchObject({ code: 'validation_failed', details: { errors: [{ field: 'data.note' }] } });
  await expect(tasks.complete(task, 'maybe', { note: 'x' }, other.who, other.actor)).rejects.toMatchObject({ code: 'validation_failed' });
  await expect(h.runtime.engine.signal('rev-2', { type: 'review.approved', reviewer: 'x', note: 'y' } as never, STARTER)).rejects.toMatchObject({ code: 'task_required' });
});

test('a task is reminded, marked overdue and escalated on its durable timers', async () => {
  await h.runtime.engine.start({ type: 'test-reviewed', workflowId: 'rev-3', input: {} }, STARTER);
  const task = await openTask('rev-3', 'tasks.review');
  const row = await waitFor(async () => {
    const [t] = await query(h.db.dataSource, `SELECT * FROM human_task WHERE id = $1`, [task]);
    return t.escalated ? t : undefined;
  }, 'the escalation');
  expect(row.candidate_groups).toEqual(['underwriters', 'senior-underwriters']);
  expect(row.overdue).toBe(true);
  const kinds = (await h.history('rev-3')).map((r) => r.kind);
  expect(kinds.filter((k) => k.startsWith('task.'))).toEqual(['task.created', 'task.reminded', 'task.overdue', 'task.escalated']);
  const senior = as('lead-1', ['senior-underwriters']);
  await tasks.complete(task, 'decline', { note: 'not for us' }, senior.who, senior.actor);
  expect((await h.get('rev-3')).state).toBe('declined');
});

test('cancelling the workflow closes its task; completing it then is 409', async () => {
  await h.runtime.engine.start({ type: 'test-reviewed', workflowId: 'rev-4', input: {} }, STARTER);
  const task = await openTask('rev-4', 'tasks.review');
  await h.runtime.engine.cancel('rev-4', STARTER);
  const [row] = await query(h.db.dataSource, `SELECT status, close_reason FROM human_task WHERE id = $1`, [task]);
  expect(row).toEqual({ status: 'closed', close_reason: 'the workflow ended cancelled' });
  const r = as('reviewer-2');
  await expect(tasks.complete(task, 'approve', { note: 'late' }, r.who, r.actor)).rejects.toMatchObject({ code: 'task_not_open' });
});

test('100 concurrent completions of one task produce exactly one decision', async () => {
  await h.runtime.engine.start({ type: 'test-reviewed', workflowId: 'rev-5', input: {} }, STARTER);
  const task = await openTask('rev-5', 'tasks.review');
  const results = await Promise.allSettled(
    Array.from({ length: 100 }, (_, i) => {
      const r = as(`reviewer-${i}`);
      return tasks.complete(task, i % 2 ? 'approve' : 'decline', { note: `from ${i}` }, r.who, r.actor);
    }),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'task_not_open' });
  const history = await h.history('rev-5');
  expect(history.filter((r) => r.kind === 'task.completed')).toHaveLength(1);
  expect(history.filter((r) => r.kind === 'event.received' && r.outcome === 'accepted')).toHaveLength(1);
});

test('four-eyes holds over the workflow tree: whoever decided in the parent may not decide in the child, nor the root\'s initiator', async () => {
  await h.runtime.engine.start({ type: 'test-reviewed-tree', workflowId: 'tree-1', input: {} }, { actor: 'principal:maker' });
  const sponsor = await openTask('tree-1', 'tree.sponsoring');
  const maker = as('maker');
  await expect(tasks.complete(sponsor, 'approve', {}, maker.who, maker.actor)).rejects.toMatchObject({ code: 'four_eyes_violation', message: expect.stringMatching(/they started/) });
  const r1 = as('reviewer-1');
  await tasks.complete(sponsor, 'approve', {}, r1.who, r1.actor);
  const child = 'tree-1:review:1';
  const review = await openTask(child, 'tasks.review');
  // The initiator of the root, though the child was started by the engine.
  await expect(tasks.complete(review, 'approve', { note: 'x' }, maker.who, maker.actor)).rejects.toMatchObject({ message: expect.stringMatching(/workflow tree they started/) });
  // The parent's sponsor, in the child.
  await expect(tasks.complete(review, 'approve', { note: 'x' }, r1.who, r1.actor)).rejects.toMatchObject({ code: 'four_eyes_violation', message: expect.stringMatching(/already decided a task in this workflow tree/) });
  const r2 = as('reviewer-2');
  await tasks.complete(review, 'approve', { note: 'fine' }, r2.who, r2.actor);
  const second = await openTask(child, 'tasks.secondReview');
  for (const who of [r1, r2]) await expect(tasks.complete(second, 'approve', {}, who.who, who.actor)).rejects.toMatchObject({ code: 'four_eyes_violation' });
  const r3 = as('reviewer-3');
  await tasks.complete(second, 'approve', {}, r3.who, r3.actor);
  await waitFor(async () => ((await h.get('tree-1')).status === 'completed' ? true : undefined), 'the tree to complete');
  const refused = (await h.history(child)).filter((r) => r.kind === 'task.refused').map((r) => r.actor);
  expect(refused).toEqual(['principal:maker', 'principal:reviewer-1', 'principal:reviewer-1', 'principal:reviewer-2']);
});

test('a decision on a paused workflow is recorded (the task closes) and its event held until resume', async () => {
  await h.runtime.engine.start({ type: 'test-reviewed', workflowId: 'rev-paused', input: {} }, STARTER);
  const first = await openTask('rev-paused', 'tasks.review');
  await h.runtime.operations.pause('rev-paused', { actor: { actor: 'principal:ops-2' }, reason: 'customer complaint' });
  const r1 = as('reviewer-1');
  await tasks.complete(first, 'approve', { note: 'fine' }, r1.who, r1.actor);
  const [task] = await query(h.db.dataSource, 'SELECT status, completed_by FROM human_task WHERE id = $1', [first]);
  expect(task).toMatchObject({ status: 'completed', completed_by: 'reviewer-1' });
  expect((await h.get('rev-paused')).state).toBe('review');
  expect((await h.history('rev-paused')).map((r) => r.kind)).toEqual(expect.arrayContaining(['task.completed', 'input.held']));
  await h.runtime.operations.resume('rev-paused', { actor: { actor: 'principal:ops-2' }, reason: 'resolved' });
  await openTask('rev-paused', 'tasks.secondReview');
});
