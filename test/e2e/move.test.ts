import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';

// An operator moves a live instance to another state of its own version: the states left stop
// their work, the state entered runs its own again, all recorded with the reason.

let h: HttpHarness;
let dual: HttpHarness;
let ops: string;
const transfer = (id: string) => ({ type: 'demo-transfer', workflowId: id, input: { transferId: id, amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts: 0 } });

beforeAll(async () => {
  [h, dual] = await Promise.all([startHttpApp('move'), startHttpApp('move_dual', [], { env: { DUAL_CONTROL: 'move' } })]);
  ops = await h.createKey({ id: 'mover', roles: ['operator'] });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await dual?.close();
});

const waiting = (app: HttpHarness, key: string, id: string) =>
  waitFor(async () => (await app.as(key)('GET', `/v1/workflows/${id}`)).body.state === 'awaitingApproval' && true, `${id} to wait for approval`);

test('a move back to an earlier state re-runs its activity, replaces the timer of the state left, and is recorded with its reason', async () => {
  const as = h.as(ops);
  expect((await as('POST', '/v1/workflows', transfer('mv-1'))).status).toBe(201);
  await waiting(h, ops, 'mv-1');
  const moved = await as('POST', '/v1/workflows/mv-1/move', { toState: 'reserving', reason: 'the bank lost the hold: reserve again' });
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({ state: 'reserving', status: 'running' });
  await waiting(h, ops, 'mv-1');
  const history = (await as('GET', '/v1/workflows/mv-1/history')).body.items as any[];
  const at = history.findIndex((r) => r.kind === 'workflow.moved');
  expect(history[at]).toMatchObject({ outcome: 'accepted', reason: 'the bank lost the hold: reserve again', actor: 'principal:mover', stateBefore: 'awaitingApproval', stateAfter: 'reserving', data: { toState: 'reserving' } });
  const after = history.slice(at + 1).map((r) => r.kind);
  expect(after).toEqual(expect.arrayContaining(['timer.cancelled', 'activity.scheduled', 'activity.completed', 'timer.set']));
  expect(history.filter((r) => r.kind === 'activity.completed')).toHaveLength(2);
  // One approval timer pending: the one of the state entered again, not the one left.
  const outstanding = (await as('GET', '/v1/workflows/mv-1/outstanding')).body;
  expect(outstanding.timers).toHaveLength(1);
  expect((await as('POST', '/v1/workflows/mv-1/events', { type: 'transfer.approved', approver: 'ops-2' })).status).toBe(200);
  await waitFor(async () => (await as('GET', '/v1/workflows/mv-1')).body.status === 'completed', 'the moved workflow to complete');
});

test('a move that cannot apply changes nothing: an unknown or final state names the states there are; paused, ended, another role or tenant are refused', async () => {
  const as = h.as(ops);
  expect((await as('POST', '/v1/workflows', transfer('mv-2'))).status).toBe(201);
  await waiting(h, ops, 'mv-2');
  const before = (await as('GET', '/v1/workflows/mv-2/history')).body.items.length;
  const nowhere = await as('POST', '/v1/workflows/mv-2/move', { toState: 'quotingFx', reason: 'x' });
  expect(nowhere.status).toBe(400);
  expect(nowhere.body.errors).toEqual([{ field: 'toState', message: 'demo-transfer@1 has no state quotingFx to move to (final states are not targets); its states: reserving, awaitingApproval' }]);
  expect((await as('POST', '/v1/workflows/mv-2/move', { toState: 'completed', reason: 'x' })).status).toBe(400);
  expect((await as('POST', '/v1/workflows/mv-2/move', { toState: 'reserving' })).body.errors[0].field).toBe('reason');
  expect((await as('POST', '/v1/workflows/mv-2/pause', { reason: 'hold on' })).status).toBe(200);
  const paused = await as('POST', '/v1/workflows/mv-2/move', { toState: 'reserving', reason: 'x' });
  expect(paused.status).toBe(409);
  expect(paused.body.type).toMatch(/workflow-paused$/);
  const reviewer = await h.createKey({ id: 'mv-rev', roles: ['reviewer'] });
  expect((await h.as(reviewer)('POST', '/v1/workflows/mv-2/move', { toState: 'reserving', reason: 'x' })).status).toBe(403);
  const other = await h.createKey({ id: 'mv-other', roles: ['operator'], tenant: 'other' });
  expect((await h.as(other)('POST', '/v1/workflows/mv-2/move', { toState: 'reserving', reason: 'x' })).status).toBe(404);
  const history = (await as('GET', '/v1/workflows/mv-2/history')).body.items;
  expect(history.filter((r: any) => r.kind === 'workflow.moved')).toEqual([]);
  expect(history.length).toBe(before + 1); // the pause, nothing else
  expect((await as('POST', '/v1/workflows/mv-2/terminate', { reason: 'done with it' })).status).toBe(200);
  expect((await as('POST', '/v1/workflows/mv-2/move', { toState: 'reserving', reason: 'x' })).status).toBe(409);
});

test('under DUAL_CONTROL=move a move waits for a second operator, who carries it out', async () => {
  const [first, second] = [await dual.createKey({ id: 'mv-a', roles: ['operator'] }), await dual.createKey({ id: 'mv-b', roles: ['operator'] })];
  expect((await dual.as(first)('POST', '/v1/workflows', transfer('mv-3'))).status).toBe(201);
  await waiting(dual, first, 'mv-3');
  const asked = await dual.as(first)('POST', '/v1/workflows/mv-3/move', { toState: 'reserving', reason: 'reserve again' });
  expect(asked.status).toBe(202);
  expect(asked.body.pendingApproval).toMatchObject({ action: 'move', target: { workflowId: 'mv-3', toState: 'reserving' } });
  expect((await dual.as(first)('POST', '/v1/workflows/mv-3/move', { toState: 'nowhere', reason: 'x' })).status).toBe(400);
  const approved = await dual.as(second)('POST', `/v1/operator-approvals/${asked.body.pendingApproval.id}/approve`, { reason: 'agreed' });
  expect(approved.status).toBe(200);
  const moved = (await dual.as(first)('GET', '/v1/workflows/mv-3/history')).body.items.find((r: any) => r.kind === 'workflow.moved');
  expect(moved).toMatchObject({ actor: 'principal:mv-b', data: { toState: 'reserving', requestedBy: 'principal:mv-a' } });
});
