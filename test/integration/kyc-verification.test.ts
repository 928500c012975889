import { isDeepStrictEqual } from 'node:util';
import { kycVerificationDefinition } from '../../machines/kyc-verification';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startHarness, USER, type Harness } from '../support/harness';
import { signalOrDecide } from '../support/decide';
import { waitFor } from '../support/env';

let sandbox: RunningSandbox;
let partners: SandboxClient;
let h: Harness;

// Short human-step durations, so the SLA and the reminder lapse within the test.
const config = { documentReminderMs: 300, documentExpiryMs: 2_500, complianceReviewSlaMs: 300 };

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  partners = new SandboxClient({ baseUrl: sandbox.url });
  h = await startHarness('kyc_verification', [kycVerificationDefinition({ partners }, config)]);
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

const passport = { type: 'passport' as const, number: 'C01X00T47', country: 'DE' };
const applicant = (id: string, extra: Record<string, unknown> = {}) => ({ applicantId: `CUST-${id}`, name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12', ...extra });

const start = async (workflowId: string, input: unknown) => (await h.runtime.engine.start({ type: 'kyc-verification', workflowId, input }, USER)).workflow;
/** A client's signal: its payload rides next to `type`. */
// Review decisions are tasks: completed by a reviewer of the task's groups, other events are signals.
const send = (id: string, type: string, payload: Record<string, unknown> = {}) => signalOrDecide(h, id, { type, ...payload }, USER);
const inState = (id: string, state: unknown) =>
  waitFor(async () => {
    const w = await h.get(id);
    return isDeepStrictEqual(w.state, state) ? w : undefined;
  }, `${id} in ${JSON.stringify(state)}`);
const history = (id: string) => h.history(id);
const effectsDone = async (id: string) => (await history(id)).filter((r) => r.kind === 'effect.completed').map((r) => r.data.name);
const scheduled = async (id: string) => (await history(id)).filter((r) => r.kind === 'activity.scheduled').map((r) => r.idempotency_key);

test('documents on file, nothing found: verified after one provider check and one screening under the workflow keys', async () => {
  const w = await start('kyc-clear', applicant('clear', { documents: [passport] }));
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  expect(done.output).toEqual({ outcome: 'verified', applicantId: 'CUST-clear', riskFlags: [], decidedBy: 'automated' });
  expect(await scheduled(w.id)).toEqual(['kyc-clear/verifyDocuments/1', 'kyc-clear/screenApplicant/1']);
});

test('no documents: the applicant is reminded after documentReminder, and the documents then submitted verify', async () => {
  const w = await start('kyc-late-docs', applicant('late-docs'));
  await inState(w.id, { awaitingDocuments: 'reminded' });
  await waitFor(async () => (await effectsDone(w.id)).includes('remindApplicant'), 'the reminder to be sent');
  await send(w.id, 'documents.submitted', { documents: [passport] });
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toMatchObject({ outcome: 'verified', decidedBy: 'automated' });
  // The first check found nothing to send; the second is a new invocation with its own key.
  expect(await scheduled(w.id)).toEqual(['kyc-late-docs/verifyDocuments/1', 'kyc-late-docs/verifyDocuments/2', 'kyc-late-docs/screenApplicant/1']);
});

test('no documents before documentExpiry: expired', async () => {
  const w = await start('kyc-no-docs', applicant('no-docs'));
  const done = await h.until(w.id, ['completed', 'failed'], 10_000);
  expect(done.output).toEqual({ outcome: 'expired', applicantId: 'CUST-no-docs', riskFlags: [], decidedBy: 'automated' });
  expect((await history(w.id)).filter((r) => r.kind === 'timer.fired').length).toBe(2);
});

test('a PEP goes to compliance review; the review SLA lapses and escalates; the reviewer still approves', async () => {
  const w = await start('kyc-pep', { ...applicant('pep', { documents: [passport] }), name: 'Paula Ministra' });
  await inState(w.id, { complianceReview: 'escalated' });
  await waitFor(async () => (await effectsDone(w.id)).includes('escalateReview'), 'the escalation to be sent');
  const escalation = (await history(w.id)).find((r) => r.kind === 'effect.scheduled');
  expect(escalation.data).toMatchObject({ name: 'escalateReview', params: { applicantId: 'CUST-pep', riskFlags: ['sanctions:pep', 'list:SANDBOX-PEP'] } });
  await send(w.id, 'review.approved', { reviewer: 'officer-1', note: 'domestic PEP, source of funds documented' });
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'verified', applicantId: 'CUST-pep', riskFlags: ['sanctions:pep', 'list:SANDBOX-PEP'], decidedBy: 'officer-1' });
});

test('an embargoed country is a sanctions hit; the reviewer rejects', async () => {
  const w = await start('kyc-embargo', applicant('embargo', { country: 'IR', documents: [passport] }));
  await inState(w.id, { complianceReview: 'withinSla' });
  await send(w.id, 'review.rejected', { reviewer: 'officer-2' });
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'rejected', applicantId: 'CUST-embargo', riskFlags: ['sanctions:hit', 'list:SANDBOX-EMBARGO'], decidedBy: 'officer-2' });
});

test('an expired document: rejected by the provider, never screened', async () => {
  const w = await start('kyc-expired-doc', applicant('expired-doc', { documents: [{ ...passport, expired: true }] }));
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'rejected', applicantId: 'CUST-expired-doc', riskFlags: ['documents:document-expired'], decidedBy: 'automated' });
  expect(await scheduled(w.id)).toEqual(['kyc-expired-doc/verifyDocuments/1']);
});

test('the KYC provider is down twice, then answers: retried under one key, verified', async () => {
  await partners.admin.script('kyc', [{ match: { method: 'POST', path: '/kyc/checks', idempotencyKeyPrefix: 'kyc-flaky' }, outcome: 'error', status: 503, times: 2 }]);
  const w = await start('kyc-flaky', applicant('flaky', { documents: [passport] }));
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toMatchObject({ outcome: 'verified' });
  const records = await history(w.id);
  const failures = records.filter((r) => r.kind === 'activity.attempt.failed');
  expect(failures).toHaveLength(2);
  expect(new Set(failures.map((r) => r.idempotency_key))).toEqual(new Set(['kyc-flaky/verifyDocuments/1']));
});

test('the provider refuses the check (422): not retried, the case goes to a reviewer after the screening', async () => {
  await partners.admin.script('kyc', [{ match: { method: 'POST', path: '/kyc/checks', idempotencyKeyPrefix: 'kyc-refused' }, outcome: 'error', status: 422 }]);
  const w = await start('kyc-refused', applicant('refused', { documents: [passport] }));
  const review = await inState(w.id, { complianceReview: 'withinSla' });
  expect((review.context as { riskFlags: string[] }).riskFlags).toEqual(['documents:check-failed']);
  expect((await history(w.id)).filter((r) => r.kind === 'activity.attempt.failed')).toHaveLength(0);
  await send(w.id, 'review.approved', { reviewer: 'officer-3' });
  expect((await h.until(w.id, ['completed'])).output).toMatchObject({ outcome: 'verified', decidedBy: 'officer-3' });
});
