import type { SandboxClient } from '../../src/sandbox/client';
import type { HttpHarness, RequestFn } from '../support/http-app';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';
import { waitFor } from '../support/env';

let app: ProcessesApp;
let partners: SandboxClient;
let api: HttpHarness;
let example: any;
const as: Record<string, RequestFn> = {};

beforeAll(async () => {
  app = await startProcessesApp('tasks_http', { 'fraud-check': { reviewSlaMs: 2000 } });
  ({ api, partners } = app);
  for (const [id, roles, groups] of [
    ['ops-1', ['operator'], []],
    ['uw-1', ['reviewer'], ['underwriters']],
    ['uw-2', ['reviewer'], ['underwriters']],
    ['analyst-1', ['reviewer'], ['fraud-analysts']],
    ['lead-1', ['reviewer'], ['fraud-leads']],
    ['maker-1', ['operator', 'reviewer'], ['underwriters']],
  ] as const) {
    as[id] = api.as(await api.createKey({ id, roles: [...roles], groups: [...groups] }));
  }
  example = (await api.request('GET', '/v1/definitions/loan-approval/1')).body.exampleInput;
}, 60_000);

afterAll(() => app?.close());

const get = (id: string) => app.get(id);
const until = (id: string, what: (w: any) => boolean, label: string) => app.until(id, what, label);
async function openTask(who: RequestFn, workflowId: string): Promise<any> {
  return waitFor(async () => (await who('GET', `/v1/tasks?workflow=${encodeURIComponent(workflowId)}&status=open`)).body.items?.[0], `an open task of ${workflowId}`);
}
/** A referred (score 650) large loan: an underwriter, then a second approver. */
async function startLoan(id: string, by: RequestFn) {
  await partners.admin.script('credit', [{ match: { idempotencyKeyPrefix: `${id}/` }, outcome: 'ok', body: { score: 650 } }]);
  await partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: id }, outcome: 'ok', body: { score: 10 } }]);
  const res = await by('POST', '/v1/workflows', { type: 'loan-approval', workflowId: id, input: { ...example, applicationId: id, amount: { value: 9_000_000, currency: 'EUR' } } });
  expect(res.status).toBe(201);
}

test('the whole loan path: an underwriter task, a second approver, the offer accepted, the disbursement settled', async () => {
  await startLoan('loan-tasks', as['ops-1']);
  await until('loan-tasks', (w) => JSON.stringify(w.state).includes('underwriting'), 'referral');
  const task = await openTask(as['uw-1'], 'loan-tasks');
  expect(task).toMatchObject({ title: 'Underwrite a referred loan application', candidateGroups: ['underwriters'], decisions: ['approve', 'decline'], fourEyes: true });
  // Wrong group, wrong role.
  expect((await as['analyst-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve' })).status).toBe(403);
  const opsTry = await as['ops-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve' });
  expect(opsTry.status).toBe(403);
  expect(opsTry.body.type).toMatch(/forbidden$/);
  // A form that does not validate is 400 with the field.
  const bad = await as['uw-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve', data: { note: 42 } });
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].field).toBe('data.note');
  expect((await as['uw-1']('POST', `/v1/tasks/${task.id}/claim`)).status).toBe(200);
  expect((await as['uw-2']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve' })).status).toBe(409);
  const first = await as['uw-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve', data: { note: 'income verified' } });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ status: 'completed', completedBy: 'uw-1', decision: 'approve' });
  expect((await as['uw-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve' })).status).toBe(409);

  await until('loan-tasks', (w) => w.state === 'secondApproval', 'second approval');
  const second = await openTask(as['uw-2'], 'loan-tasks');
  const same = await as['uw-1']('POST', `/v1/tasks/${second.id}/complete`, { decision: 'approve' });
  expect(same.status).toBe(403);
  expect(same.body).toMatchObject({ type: expect.stringMatching(/four-eyes-violation$/), detail: expect.stringMatching(/already decided a task in this workflow tree/) });
  expect((await as['uw-2']('POST', `/v1/tasks/${second.id}/complete`, { decision: 'approve', data: { note: 'agreed' } })).status).toBe(200);

  await until('loan-tasks', (w) => w.state === 'awaitingAcceptance', 'offer');
  expect((await as['ops-1']('POST', '/v1/workflows/loan-tasks/events', { type: 'offer.accepted' })).status).toBe(200);
  const payment = 'loan-tasks:paymentSettlement:1';
  await until(payment, (w) => w.state === 'awaitingSettlement', 'disbursement');
  await as['ops-1']('POST', `/v1/workflows/${encodeURIComponent(payment)}/events`, { type: 'settlement.confirmed', reference: (await get(payment)).input.paymentId });
  const done = await until('loan-tasks', (w) => w.status === 'completed', 'disbursed');
  expect(done.output).toMatchObject({ outcome: 'disbursed' });
  const history = (await as['ops-1']('GET', '/v1/workflows/loan-tasks/history')).body.items;
  expect(history.filter((r: any) => r.kind === 'task.completed').map((r: any) => r.actor)).toEqual(['principal:uw-1', 'principal:uw-2']);
  expect(history.find((r: any) => r.kind === 'task.refused')).toMatchObject({ actor: 'principal:uw-1', outcome: 'rejected' });
  expect(history[0].actor).toBe('principal:ops-1');
});

test('a principal may not approve a workflow they started; cancelling the workflow closes its task', async () => {
  await startLoan('loan-self', as['maker-1']);
  const task = await openTask(as['maker-1'], 'loan-self');
  const self = await as['maker-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve' });
  expect(self.status).toBe(403);
  expect(self.body.detail).toMatch(/started/);
  expect((await as['maker-1']('POST', '/v1/workflows/loan-self/cancel', { reason: 'withdrawn' })).status).toBe(200);
  const closed = (await as['uw-1']('GET', `/v1/tasks/${task.id}`)).body;
  expect(closed).toMatchObject({ status: 'closed', closeReason: 'the workflow ended cancelled' });
  const late = await as['uw-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve' });
  expect(late.status).toBe(409);
  expect(late.body.type).toMatch(/task-not-open$/);
});

test('a task escalates after its delay: the escalation group sees it and may decide', async () => {
  await partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: 'fraud-esc' }, outcome: 'ok', body: { score: 60 } }]);
  await as['ops-1']('POST', '/v1/workflows', { type: 'fraud-check', workflowId: 'fraud-esc', input: (await api.request('GET', '/v1/definitions/fraud-check/1')).body.exampleInput });
  const task = await openTask(as['analyst-1'], 'fraud-esc');
  expect((await as['lead-1']('GET', `/v1/tasks/${task.id}`)).status).toBe(404);
  const escalated = await waitFor(async () => {
    const t = (await as['lead-1']('GET', `/v1/tasks?workflow=fraud-esc&status=open`)).body.items[0];
    return t?.escalated ? t : undefined;
  }, 'the escalation', 10_000, 100);
  expect(escalated.candidateGroups).toEqual(['fraud-analysts', 'fraud-leads']);
  expect((await as['lead-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'decline', data: { note: 'escalated and declined' } })).status).toBe(200);
  expect((await get('fraud-esc')).output).toMatchObject({ decision: 'declined', decidedBy: 'analyst' });
});

test('100 concurrent completions of one task produce exactly one decision', async () => {
  await partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: 'fraud-race' }, outcome: 'ok', body: { score: 60 } }]);
  await as['ops-1']('POST', '/v1/workflows', { type: 'fraud-check', workflowId: 'fraud-race', input: (await api.request('GET', '/v1/definitions/fraud-check/1')).body.exampleInput });
  const task = await openTask(as['analyst-1'], 'fraud-race');
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => as['analyst-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: i % 2 ? 'approve' : 'decline', data: { note: `call ${i}` } })),
  );
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  expect(statuses.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
  const history = (await as['ops-1']('GET', '/v1/workflows/fraud-race/history')).body.items;
  expect(history.filter((r: any) => r.kind === 'task.completed')).toHaveLength(1);
  expect(history.filter((r: any) => r.kind === 'event.received' && r.outcome === 'accepted')).toHaveLength(1);
});

test('an admin reassigns a claimed task; only the assignee may then decide', async () => {
  await startLoan('loan-reassign', as['ops-1']);
  const task = await openTask(as['uw-1'], 'loan-reassign');
  expect((await as['uw-1']('POST', `/v1/tasks/${task.id}/claim`)).status).toBe(200);
  expect((await as['uw-1']('POST', `/v1/tasks/${task.id}/reassign`, { assignee: 'uw-2' })).status).toBe(403);
  const moved = await api.request('POST', `/v1/tasks/${task.id}/reassign`, { assignee: 'uw-2' });
  expect(moved.status).toBe(200);
  expect(moved.body.claimedBy).toBe('uw-2');
  expect((await as['uw-1']('GET', `/v1/tasks?assignee=uw-2&status=open`)).body.items.map((t: any) => t.id)).toContain(task.id);
  expect((await as['uw-1']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'decline' })).status).toBe(409);
  expect((await as['uw-2']('POST', `/v1/tasks/${task.id}/complete`, { decision: 'decline', data: { note: 'debt ratio' } })).status).toBe(200);
  expect((await until('loan-reassign', (w) => w.status === 'completed', 'declined')).output).toMatchObject({ outcome: 'declined' });
});
