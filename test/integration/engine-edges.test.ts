import { query } from '../../src/engine/store/sql';
import { attempts, effectsRun, approval, quirks, sponsor } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { waitFor } from '../support/env';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('edges', [quirks, approval, sponsor]);
});
afterAll(() => h.close());

test('a workflow whose activity finished without leaving the invoking state is waiting, not running', async () => {
  const { workflow } = await h.runtime.engine.start({ type: 'test-quirks', workflowId: 'quiet-1', input: { poison: false } }, USER);
  expect(workflow.status).toBe('running');
  const after = await h.until(workflow.id, ['waiting', 'failed']);
  expect(after).toMatchObject({ status: 'waiting', state: 'reviewing', context: { looked: true } });
});

test('a transition that only runs actions is accepted and its effect runs once', async () => {
  await h.runtime.engine.start({ type: 'test-quirks', workflowId: 'nudge-1', input: { poison: false } }, USER);
  await h.until('nudge-1', ['waiting']);
  const before = await h.get('nudge-1');
  const view = await h.runtime.engine.signal('nudge-1', { type: 'ops.nudged' }, USER);
  expect(view.version).toBe(before.version + 1);
  // The effect runs, then its completion is recorded: wait for the record, not the run.
  const history = await waitFor(async () => {
    const rows = await h.history('nudge-1');
    return rows.some((r) => r.kind === 'effect.completed') ? rows : undefined;
  }, 'the effect to be recorded');
  expect(effectsRun.filter((e) => e.idempotencyKey === 'nudge-1/notifyOps/1')).toHaveLength(1);
  expect(history.find((r) => r.kind === 'event.received')).toMatchObject({ outcome: 'accepted' });
  expect(history.filter((r) => r.kind === 'effect.completed')).toHaveLength(1);
});

test('a result the machine cannot apply opens an incident once, keeps the state, and does not call the partner again', async () => {
  await h.runtime.engine.start({ type: 'test-quirks', workflowId: 'poison-1', input: { poison: true } }, USER);
  const incident = await waitFor(async () => (await query(h.db.dataSource, `SELECT * FROM incident WHERE workflow_id = 'poison-1'`))[0], 'the incident');
  expect(incident).toMatchObject({ kind: 'machine_error', status: 'open' });
  expect(incident.error.message).toMatch(/threw on xstate.done.actor.lookup: .*the machine cannot use this result/);
  await new Promise((r) => setTimeout(r, 500));
  const w = await h.get('poison-1');
  expect(w.status).toBe('running');
  expect(w.state).toBe('reviewing');
  expect(w.raw.open_incidents).toBe(1);
  expect(attempts.filter((a) => a.idempotencyKey === 'poison-1/lookup/1')).toHaveLength(1);
  const kinds = (await h.history('poison-1')).map((r) => r.kind);
  expect(kinds).toContain('incident.opened');
  expect(kinds).not.toContain('workflow.failed');
});

test('concurrent starts of one workflowId return that one workflow', async () => {
  const results = await Promise.all(Array.from({ length: 10 }, () => h.runtime.engine.start({ type: 'test-approval', workflowId: 'same-id', input: { timeoutMs: 60_000 } }, USER)));
  expect(results.filter((r) => r.created)).toHaveLength(1);
  expect(new Set(results.map((r) => r.workflow.id))).toEqual(new Set(['same-id']));
});

test('a client cannot send the cancel event itself', async () => {
  await h.runtime.engine.start({ type: 'test-approval', workflowId: 'no-fake-cancel', input: { timeoutMs: 60_000 } }, USER);
  await expect(h.runtime.engine.signal('no-fake-cancel', { type: 'cancellation.requested' }, USER)).rejects.toMatchObject({ code: 'validation_failed' });
});
