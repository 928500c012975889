import { isDeepStrictEqual } from 'node:util';
import { kycVerificationDefinition } from '../../machines/kyc-verification';
import { loanApprovalDefinition } from '../../machines/loan-approval';
import type { LoanApprovalInput } from '../../machines/loan-approval/loan-approval.machine';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startHarness, USER, type Harness } from '../support/harness';
import { signalOrDecide } from '../support/decide';
import { waitFor } from '../support/env';
import { ensureAccount, paymentSettlementStandinDefinition } from '../model/loan-approval.scenario';

let sandbox: RunningSandbox;
let partners: SandboxClient;
let h: Harness;

const LENDER = 'LENDER-EUR';
const LENDER_FUNDS = 100_000_000;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  partners = new SandboxClient({ baseUrl: sandbox.url });
  const deps = { partners };
  const kyc = kycVerificationDefinition(deps);
  // payment-settlement is written elsewhere: a stand-in with the same contract disburses here.
  const payment = paymentSettlementStandinDefinition(deps);
  // Short human-step durations, so the underwriting SLA and the offer lapse within the test.
  const loan = loanApprovalDefinition(deps, { underwritingSlaMs: 300, offerExpiryMs: 2_000 }, { kycVerification: kyc.machine, paymentSettlement: payment.machine });
  h = await startHarness('loan_approval', [loan, kyc, payment]);
  await ensureAccount(partners, LENDER, { value: LENDER_FUNDS, currency: 'EUR' }, 'open/lender');
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

const application = (id: string, extra: Partial<LoanApprovalInput> = {}): LoanApprovalInput => ({
  applicationId: id,
  applicant: { id: `CUST-${id}`, name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12', documents: [{ type: 'passport', number: 'C01X00T47', country: 'DE' }] },
  amount: { value: 1_500_000, currency: 'EUR' },
  termMonths: 36,
  disbursementAccount: `BORROWER-${id}`,
  lenderAccount: LENDER,
  ...extra,
});

/** Opens the borrower's account, scripts the bureau's score for this workflow, starts the loan. */
async function apply(id: string, score: number | null, extra: Partial<LoanApprovalInput> = {}) {
  const input = application(id, extra);
  await ensureAccount(partners, input.disbursementAccount, { value: 0, currency: 'EUR' }, `open/${id}`);
  if (score !== null) await partners.admin.script('credit', [{ match: { method: 'POST', path: '/credit/reports', idempotencyKeyPrefix: id }, outcome: 'ok', body: { score } }]);
  return (await h.runtime.engine.start({ type: 'loan-approval', workflowId: id, input }, USER)).workflow;
}

/** A client's signal: its payload rides next to `type`. */
// Review decisions are tasks: completed by a reviewer of the task's groups, other events are signals.
const send = (id: string, type: string, payload: Record<string, unknown> = {}) => signalOrDecide(h, id, { type, ...payload }, USER);
const inState = (id: string, state: unknown) =>
  waitFor(async () => {
    const w = await h.get(id);
    return isDeepStrictEqual(w.state, state) ? w : undefined;
  }, `${id} in ${JSON.stringify(state)}`);
const effects = async (id: string) => (await h.history(id)).filter((r) => r.kind === 'effect.completed').map((r) => r.data.name);
const effectsDone = (id: string, names: string[]) =>
  waitFor(async () => {
    const done = await effects(id);
    return names.every((n) => done.includes(n)) ? done : undefined;
  }, `${id} to run ${names.join(', ')}`);
const balance = async (account: string) => (await partners.bank.getAccount(account)).balance.value;
/** Where the euros are: customers, equity, in clearing; the account count aside. */
const euroTotals = async () => {
  const { total, customer, equity, clearing } = (await partners.bank.ledgerTotals()).currencies.EUR;
  return { total, customer, equity, clearing };
};

test('a good score: KYC child verified, offer sent and accepted, the payment child disburses to the borrower', async () => {
  const w = await apply('loan-happy', 780);
  await inState(w.id, 'awaitingAcceptance');
  await send(w.id, 'offer.accepted');
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toEqual({
    outcome: 'disbursed',
    applicationId: 'loan-happy',
    amount: { value: 1_500_000, currency: 'EUR' },
    decision: { result: 'approved', decidedBy: 'automated', creditScore: 780, referralReason: null, note: null },
  });
  expect((await h.get('loan-happy:kycVerification:1')).output).toMatchObject({ outcome: 'verified' });
  expect((await h.get('loan-happy:paymentSettlement:1')).output).toEqual({ outcome: 'settled', paymentId: 'loan-happy-disbursement' });
  expect(await balance('BORROWER-loan-happy')).toBe(1_500_000);
  expect((await partners.bank.ledgerTotals()).balanced).toBe(true);
  expect(await effectsDone(w.id, ['sendOffer'])).not.toContain('withdrawOffer');
});

test('identity rejected by the KYC child: declined with an adverse-action notice, no credit report pulled', async () => {
  const id = 'loan-kyc-rejected';
  const w = await apply(id, null, { applicant: { ...application(id).applicant, documents: [{ type: 'passport', expired: true }] } });
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'declined', applicationId: id, amount: { value: 1_500_000, currency: 'EUR' }, reason: 'identity-rejected' });
  expect(await effectsDone(w.id, ['sendAdverseActionNotice'])).toEqual(['sendAdverseActionNotice']);
  expect((await h.history(w.id)).some((r) => r.kind === 'activity.scheduled')).toBe(false);
});

test('a low score is declined by the rules with an adverse-action notice', async () => {
  const w = await apply('loan-low-score', 540);
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toMatchObject({ outcome: 'declined', reason: 'credit-score-below-minimum', decision: { result: 'declined', decidedBy: 'automated', creditScore: 540 } });
  await effectsDone(w.id, ['sendAdverseActionNotice']);
});

test('a referral: the underwriting SLA lapses and escalates, the underwriter approves, the applicant declines the offer', async () => {
  const w = await apply('loan-referred', 650);
  await inState(w.id, { underwriting: 'escalated' });
  await effectsDone(w.id, ['escalateUnderwriting']);
  await send(w.id, 'underwriting.approved', { underwriter: 'uw-3', note: 'stable income' });
  await inState(w.id, 'awaitingAcceptance');
  await send(w.id, 'offer.declined', { reason: 'found a cheaper loan' });
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toMatchObject({
    outcome: 'withdrawn',
    reason: 'offer-declined-by-applicant',
    decision: { result: 'approved', decidedBy: 'uw-3', creditScore: 650, referralReason: 'credit-score-in-review-band', note: 'stable income' },
  });
  expect(await effectsDone(w.id, ['escalateUnderwriting', 'sendOffer'])).not.toContain('withdrawOffer');
});

test('the bureau is down twice, then answers: retried under one key; a cancellation then withdraws the offer', async () => {
  const id = 'loan-bureau-flaky';
  await partners.admin.script('credit', [{ match: { method: 'POST', path: '/credit/reports', idempotencyKeyPrefix: id }, outcome: 'error', status: 503, times: 2 }]);
  const w = await apply(id, 760);
  await inState(w.id, 'awaitingAcceptance');
  const failures = (await h.history(w.id)).filter((r) => r.kind === 'activity.attempt.failed');
  expect(failures.map((r) => r.idempotency_key)).toEqual([`${id}/pullCreditReport/1`, `${id}/pullCreditReport/1`]);
  await h.runtime.engine.cancel(w.id, USER);
  const done = await h.until(w.id, ['completed', 'cancelled', 'failed']);
  // Cancelled, having run the machine's own cancel path to its final state.
  expect(done.status).toBe('cancelled');
  expect(done.output).toMatchObject({ outcome: 'withdrawn', reason: 'cancelled' });
  await effectsDone(w.id, ['sendOffer', 'withdrawOffer']);
});

test('the offer lapses after offerExpiry: expired, nothing disbursed', async () => {
  const w = await apply('loan-lapsed', 760);
  const done = await h.until(w.id, ['completed', 'failed'], 10_000);
  expect(done.output).toMatchObject({ outcome: 'expired', reason: 'offer-expired' });
  expect(await balance('BORROWER-loan-lapsed')).toBe(0);
});

test('compensation: the disbursement fails to settle, the loan fails and withdraws the offer, no money moved', async () => {
  const id = 'loan-settlement-failed';
  const before = await euroTotals();
  const lenderBefore = await balance(LENDER);
  await partners.admin.script('bank', [{ match: { method: 'POST', path: '/bank/transfers', idempotencyKeyPrefix: id }, outcome: 'ok', body: { settlement: 'failed' } }]);
  const w = await apply(id, 780);
  await inState(w.id, 'awaitingAcceptance');
  await send(w.id, 'offer.accepted');
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toMatchObject({ outcome: 'failed', reason: 'disbursement-failed' });
  await effectsDone(w.id, ['withdrawOffer']);
  expect(await balance(`BORROWER-${id}`)).toBe(0);
  expect(await balance(LENDER)).toBe(lenderBefore);
  expect((await partners.bank.ledgerTotals()).balanced).toBe(true);
  expect(await euroTotals()).toEqual(before);
});

test('compensation: the lender cannot fund the loan, the payment child fails, the loan fails and withdraws the offer', async () => {
  const id = 'loan-unfunded';
  await ensureAccount(partners, 'LENDER-POOR', { value: 1_000, currency: 'EUR' }, 'open/lender-poor');
  const w = await apply(id, 780, { lenderAccount: 'LENDER-POOR' });
  await inState(w.id, 'awaitingAcceptance');
  await send(w.id, 'offer.accepted');
  const done = await h.until(w.id, ['completed', 'failed']);
  expect(done.output).toMatchObject({ outcome: 'failed', reason: 'disbursement-error' });
  expect((await h.get(`${id}:paymentSettlement:1`)).status).toBe('failed');
  await effectsDone(w.id, ['withdrawOffer']);
  expect(await balance('LENDER-POOR')).toBe(1_000);
  expect(await balance(`BORROWER-${id}`)).toBe(0);
});
