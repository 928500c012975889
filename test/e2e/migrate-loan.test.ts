import { loanApprovalDefinition } from '../../machines/loan-approval';
import type { WorkflowDefinition } from '../../src/engine';
import { waitFor } from '../support/env';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';

// The loan process itself: a referral waiting weeks for its underwriter is migrated to a v2
// that needs a second underwriter from a lower amount; it keeps its task and SLA timer.

let app: ProcessesApp;
let underwriter: string;

beforeAll(async () => {
  app = await startProcessesApp('migrate_loan', {}, (registered, partners) => {
    const child = (type: string) => registered.find((d) => d.type === type)!.machine;
    const v2 = loanApprovalDefinition({ partners }, { secondApprovalAbove: { EUR: 100_000 } }, { kycVerification: child('kyc-verification'), paymentSettlement: child('payment-settlement') });
    return [{ ...v2, version: 2 } as WorkflowDefinition];
  });
  underwriter = await app.api.createKey({ id: 'uw-m', roles: ['reviewer'], groups: ['underwriters'] });
}, 60_000);
afterAll(() => app?.close());

test('a waiting loan migrated from v1 to v2 keeps its task and timer, and goes on as v2 decides (a second underwriter from a lower amount)', async () => {
  const api = app.api;
  const example = (await api.request('GET', '/v1/definitions/loan-approval/1')).body.exampleInput;
  await app.partners.admin.script('credit', [{ match: { idempotencyKeyPrefix: 'loan-mig/' }, outcome: 'ok', body: { score: 650 } }]);
  expect((await api.request('POST', '/v1/workflows', { type: 'loan-approval', version: 1, workflowId: 'loan-mig', input: { ...example, applicationId: 'loan-mig', amount: { value: 1_500_000, currency: 'EUR' } } })).status).toBe(201);
  await app.until('loan-mig', (w) => JSON.stringify(w.state).includes('underwriting'), 'referred to an underwriter');
  const task = await waitFor(async () => (await api.as(underwriter)('GET', '/v1/tasks?workflow=loan-mig&status=open')).body.items?.[0], 'the underwriting task');
  const timers = (await api.request('GET', '/v1/workflows/loan-mig/outstanding')).body.timers;
  expect(timers.length).toBeGreaterThan(0);

  const dry = await api.request('POST', '/v1/workflows/loan-mig/migrate', { toVersion: 2, reason: 'second approval from 1,000 EUR', dryRun: true });
  expect(dry.body.plan).toMatchObject({ fromVersion: 1, toVersion: 2, carried: { tasks: ['Underwrite a referred loan application'] }, move: null });
  const migrated = await api.request('POST', '/v1/workflows/loan-mig/migrate', { toVersion: 2, reason: 'second approval from 1,000 EUR' });
  expect(migrated.status).toBe(200);
  expect(migrated.body.definitionVersion).toBe(2);
  expect((await api.as(underwriter)('GET', '/v1/tasks?workflow=loan-mig&status=open')).body.items.map((t: any) => t.id)).toEqual([task.id]);
  expect((await api.request('GET', '/v1/workflows/loan-mig/outstanding')).body.timers.map((t: any) => t.id)).toEqual(timers.map((t: any) => t.id));

  // v1 would approve 15,000 EUR with one underwriter; v2 asks for a second one.
  expect((await api.as(underwriter)('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve', data: { note: 'income verified' } })).status).toBe(200);
  await app.until('loan-mig', (w) => JSON.stringify(w.state).includes('secondApproval'), 'sent to a second underwriter, as v2 says');
}, 90_000);
