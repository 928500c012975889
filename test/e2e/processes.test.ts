import type { SandboxClient } from '../../src/sandbox/client';
import type { HttpHarness } from '../support/http-app';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';

let app: ProcessesApp;
let partners: SandboxClient;
let api: HttpHarness;
let examples: Record<string, any>;

beforeAll(async () => {
  app = await startProcessesApp('processes', { 'trade-execution': { settlementLagMs: 1000 } });
  ({ api, partners } = app);
  const defs = await api.request('GET', '/v1/definitions');
  examples = Object.fromEntries(defs.body.items.map((d: any) => [d.type, d.exampleInput]));
}, 60_000);

afterAll(() => app?.close());

const get = (id: string) => app.get(id);
const until = (id: string, what: (w: any) => boolean, label: string) => app.until(id, what, label);
const signal = async (id: string, event: Record<string, unknown>) => {
  const res = await api.request('POST', `/v1/workflows/${encodeURIComponent(id)}/events`, event);
  expect({ id, event: event.type, status: res.status, body: res.status === 200 ? undefined : res.body }).toMatchObject({ status: 200 });
  return res.body;
};
/** The fraud scorer answers `score` for this workflow and its children alone. */
const fraudScore = (prefix: string, score: number) => partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: prefix }, outcome: 'ok', body: { score } }]);

test('payment-settlement: EUR to USD, fraud-screened, converted, confirmed and captured', async () => {
  await fraudScore('pay-e2e', 10);
  const started = await api.request('POST', '/v1/workflows', { type: 'payment-settlement', workflowId: 'pay-e2e', input: examples['payment-settlement'] });
  expect(started.status).toBe(201);
  await until('pay-e2e', (w) => w.state === 'awaitingSettlement', 'await settlement');
  await signal('pay-e2e', { type: 'settlement.confirmed', reference: examples['payment-settlement'].paymentId });
  const done = await until('pay-e2e', (w) => w.status === 'completed', 'complete');
  expect(done.output).toMatchObject({ outcome: 'settled', fxRate: expect.any(Number) });
  expect((await get('pay-e2e:fraudCheck:1')).output).toMatchObject({ decision: 'approved', score: 10 });
  const totals = await partners.bank.ledgerTotals();
  expect(totals.balanced).toBe(true);
});

test('fraud-check: a middling score goes to an analyst, whose decision is the output', async () => {
  await fraudScore('fraud-e2e', 60);
  await api.request('POST', '/v1/workflows', { type: 'fraud-check', workflowId: 'fraud-e2e', input: examples['fraud-check'] });
  await until('fraud-e2e', (w) => w.status === 'waiting', 'await review');
  // The analyst's decision is a task in the fraud-analysts' inbox.
  const analyst = api.as(await api.createKey({ id: 'analyst-7', roles: ['reviewer'], groups: ['fraud-analysts'] }));
  const inbox = await analyst('GET', '/v1/tasks?workflow=fraud-e2e&status=open');
  expect(inbox.body.items).toHaveLength(1);
  const done = await analyst('POST', `/v1/tasks/${inbox.body.items[0].id}/complete`, { decision: 'decline', data: { note: 'mule pattern' } });
  expect(done.status).toBe(200);
  expect((await get('fraud-e2e')).output).toMatchObject({ decision: 'declined', score: 60, decidedBy: 'analyst' });
});

test('kyc-verification: documents checked, applicant screened, verified', async () => {
  await api.request('POST', '/v1/workflows', { type: 'kyc-verification', workflowId: 'kyc-e2e', input: examples['kyc-verification'] });
  const done = await until('kyc-e2e', (w) => w.status === 'completed', 'complete');
  expect(done.output).toMatchObject({ outcome: 'verified', applicantId: 'CUST-1001' });
});

test('loan-approval: KYC child, credit report, automatic approval, accepted offer, disbursement as a child payment', async () => {
  await partners.admin.script('credit', [{ match: { idempotencyKeyPrefix: 'loan-e2e/' }, outcome: 'ok', body: { score: 780 } }]);
  await fraudScore('loan-e2e', 10);
  await api.request('POST', '/v1/workflows', { type: 'loan-approval', workflowId: 'loan-e2e', input: examples['loan-approval'] });
  await until('loan-e2e', (w) => w.state === 'awaitingAcceptance', 'offer');
  await signal('loan-e2e', { type: 'offer.accepted' });
  const paymentId = 'loan-e2e:paymentSettlement:1';
  await until(paymentId, (w) => w.state === 'awaitingSettlement', 'disbursement awaiting settlement');
  await signal(paymentId, { type: 'settlement.confirmed', reference: (await get(paymentId)).input.paymentId });
  const done = await until('loan-e2e', (w) => w.status === 'completed', 'complete');
  expect(done.output).toMatchObject({ outcome: 'disbursed', applicationId: examples['loan-approval'].applicationId });
  expect((await get('loan-e2e:kycVerification:1')).output).toMatchObject({ outcome: 'verified' });
});

test('trade-execution: within limits, routed, filled in two parts, allocated and settled after T+1', async () => {
  const input = examples['trade-execution'];
  await api.request('POST', '/v1/workflows', { type: 'trade-execution', workflowId: 'trade-e2e', input });
  await until('trade-e2e', (w) => w.status === 'waiting', 'order open');
  await signal('trade-e2e', { type: 'order.filled', fillId: 'F-1', quantity: 100, price: input.limitPrice });
  await signal('trade-e2e', { type: 'order.filled', fillId: 'F-1', quantity: 100, price: input.limitPrice });
  await signal('trade-e2e', { type: 'order.filled', fillId: 'F-2', quantity: input.quantity - 100, price: input.limitPrice });
  const done = await until('trade-e2e', (w) => w.status === 'completed', 'settle');
  expect(done.output).toMatchObject({ outcome: 'settled', filledQuantity: input.quantity });
});
