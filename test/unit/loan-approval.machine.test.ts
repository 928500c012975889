import { toEngineEffects } from '../../src/engine/decider/action-adapter';
import { runMachine } from '../support/machine-run';
import { initialTransition, transition, type EventObject } from 'xstate';
import type { EngineEffect } from '../../src/engine/decider/action-adapter';
import { SandboxClient } from '../../src/sandbox/client';
import { createKycVerificationMachine, defaultKycVerificationConfig } from '../../machines/kyc-verification/kyc-verification.machine';
import { createLoanApprovalMachine, defaultLoanApprovalConfig, type LoanApprovalConfig, type LoanApprovalInput } from '../../machines/loan-approval/loan-approval.machine';
import { paymentSettlementStandinDefinition } from '../model/loan-approval.scenario';

const config: LoanApprovalConfig = {
  declineBelowScore: 600,
  autoApproveFromScore: 720,
  autoApproveMaxAmount: { EUR: 2_000_000 },
  underwritingSlaMs: 1_000,
  offerExpiryMs: 5_000,
  secondApprovalAbove: { EUR: 10_000_000 },
};
// Pure transitions never run the children: these are only the machine objects the loan invokes.
const children = {
  kycVerification: createKycVerificationMachine(defaultKycVerificationConfig),
  paymentSettlement: paymentSettlementStandinDefinition({ partners: new SandboxClient({ baseUrl: 'http://127.0.0.1:9' }) }).machine,
};
const machine = createLoanApprovalMachine(config, children);

const application: LoanApprovalInput = {
  applicationId: 'LOAN-1',
  applicant: { id: 'CUST-1', name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12', documents: [{ type: 'passport', number: 'C01X00T47' }] },
  amount: { value: 1_500_000, currency: 'EUR' },
  termMonths: 36,
  disbursementAccount: 'BORROWER-1',
  lenderAccount: 'LENDER-EUR',
};

const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as EventObject;
const failed = (id: string) => ({ type: `xstate.error.actor.${id}`, error: { name: 'PartnerRejectedError', message: 'refused' } }) as unknown as EventObject;
const after = (delay: string, path: string) => ({ type: `xstate.after.${delay}.loan-approval.${path}` }) as EventObject;
const signal = (type: string, payload: Record<string, unknown> = {}) => ({ type, ...payload }) as EventObject;

const kyc = (outcome: string, riskFlags: string[] = []) => done('kycVerification', { outcome, applicantId: 'CUST-1', riskFlags, decidedBy: 'automated' });
const credit = (score: number) => done('pullCreditReport', { score });
const settlement = (outcome: 'settled' | 'failed') => done('paymentSettlement', { outcome, paymentId: 'LOAN-1-disbursement' });
const offerAccepted = signal('offer.accepted');

const run = (input: LoanApprovalInput, ...events: EventObject[]) => runMachine(machine, input, ...events);

const named = (effects: EngineEffect[]) => effects.filter((e) => e.kind === 'effect').map((e) => e as Extract<EngineEffect, { kind: 'effect' }>);
const offerWithdrawn = (reason: string) => ({ kind: 'effect', name: 'withdrawOffer', params: { applicationId: 'LOAN-1', applicantId: 'CUST-1', reason } });
const adverseAction = (reason: string) => ({ kind: 'effect', name: 'sendAdverseActionNotice', params: { applicationId: 'LOAN-1', applicantId: 'CUST-1', reason } });

test('starts the KYC child with the applicant and the documents of the application', () => {
  const { s, effects } = run(application);
  expect(s.value).toBe('verifyingIdentity');
  expect(effects).toEqual([
    {
      kind: 'invoke', childId: 'kycVerification', src: 'kycVerification',
      input: { applicantId: 'CUST-1', name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12', documents: application.applicant.documents },
    },
  ]);
});

test('a good score within the automatic limit: offer, acceptance, disbursement by the payment child', () => {
  const offered = run(application, kyc('verified'), credit(720));
  expect(offered.s.value).toBe('awaitingAcceptance');
  expect(named(offered.effects)).toEqual([
    { kind: 'effect', name: 'sendOffer', params: { applicationId: 'LOAN-1', applicantId: 'CUST-1', amount: application.amount, termMonths: 36, validForMs: config.offerExpiryMs } },
  ]);
  expect(offered.effects).toContainEqual(expect.objectContaining({ kind: 'timer', delayMs: config.offerExpiryMs }));

  const disbursing = run(application, kyc('verified'), credit(720), offerAccepted);
  expect(disbursing.effects).toContainEqual({
    kind: 'invoke', childId: 'paymentSettlement', src: 'paymentSettlement',
    input: { paymentId: 'LOAN-1-disbursement', debtorAccount: 'LENDER-EUR', creditorAccount: 'BORROWER-1', amount: application.amount, creditorCurrency: 'EUR' },
  });

  const { s } = run(application, kyc('verified'), credit(720), offerAccepted, settlement('settled'));
  expect(s.output).toEqual({
    outcome: 'disbursed',
    applicationId: 'LOAN-1',
    amount: application.amount,
    decision: { result: 'approved', decidedBy: 'automated', creditScore: 720, referralReason: null, note: null },
  });
});

test('a score below declineBelowScore is declined with an adverse-action notice; the threshold itself is referred', () => {
  const declined = run(application, kyc('verified'), credit(599));
  expect(declined.s.output).toEqual({
    outcome: 'declined',
    applicationId: 'LOAN-1',
    amount: application.amount,
    decision: { result: 'declined', decidedBy: 'automated', creditScore: 599, referralReason: null, note: null },
    reason: 'credit-score-below-minimum',
  });
  expect(named(declined.effects)).toEqual([adverseAction('credit-score-below-minimum')]);

  const atThreshold = run(application, kyc('verified'), credit(600));
  expect(atThreshold.s.value).toEqual({ underwriting: 'withinSla' });
  expect(atThreshold.s.context.referralReason).toBe('credit-score-in-review-band');
});

test('the automatic limit is per currency: above it, or in a currency without one, the application is referred', () => {
  const above = run({ ...application, amount: { value: 2_000_001, currency: 'EUR' } }, kyc('verified'), credit(800));
  expect(above.s.value).toEqual({ underwriting: 'withinSla' });
  expect(above.s.context.referralReason).toBe('amount-above-automatic-limit');

  const atLimit = run({ ...application, amount: { value: 2_000_000, currency: 'EUR' } }, kyc('verified'), credit(800));
  expect(atLimit.s.value).toBe('awaitingAcceptance');

  const otherCurrency = run({ ...application, amount: { value: 1_000, currency: 'CHF' } }, kyc('verified'), credit(800));
  expect(otherCurrency.s.context.referralReason).toBe('amount-above-automatic-limit');
});

test('an identity verified by a compliance reviewer despite risk flags is referred', () => {
  const { s } = run(application, kyc('verified', ['sanctions:pep']), credit(800));
  expect(s.value).toEqual({ underwriting: 'withinSla' });
  expect(s.context.referralReason).toBe('identity-risk-flags');
});

test('no credit report: referred to an underwriter', () => {
  const { s } = run(application, kyc('verified'), failed('pullCreditReport'));
  expect(s.value).toEqual({ underwriting: 'withinSla' });
  expect(s.context.referralReason).toBe('credit-report-unavailable');
});

test('underwriting SLA: escalates once, then the underwriter approves and the offer goes out', () => {
  const referred = [kyc('verified'), credit(650)];
  const escalated = run(application, ...referred, after('underwritingSla', 'underwriting.withinSla'));
  expect(escalated.s.value).toEqual({ underwriting: 'escalated' });
  expect(named(escalated.effects)).toEqual([
    { kind: 'effect', name: 'escalateUnderwriting', params: { applicationId: 'LOAN-1', amount: application.amount, referralReason: 'credit-score-in-review-band' } },
  ]);
  expect(escalated.effects.some((e) => e.kind === 'timer')).toBe(false);

  const approved = run(application, ...referred, after('underwritingSla', 'underwriting.withinSla'), signal('underwriting.approved', { underwriter: 'uw-3', note: 'payslips' }));
  expect(approved.s.value).toBe('awaitingAcceptance');
  expect(approved.s.context.decision).toEqual({ result: 'approved', decidedBy: 'uw-3', creditScore: 650, referralReason: 'credit-score-in-review-band', note: 'payslips' });
  expect(named(approved.effects).map((e) => e.name)).toEqual(['sendOffer']);
});

test('the underwriter declines: adverse-action notice, decision by the underwriter', () => {
  const { s, effects } = run(application, kyc('verified'), credit(650), signal('underwriting.declined', { underwriter: 'uw-3' }));
  expect(s.output).toMatchObject({ outcome: 'declined', reason: 'underwriter-declined', decision: { result: 'declined', decidedBy: 'uw-3', note: null } });
  expect(named(effects)).toEqual([adverseAction('underwriter-declined')]);
});

test('identity not verified: declined with a notice, no credit report pulled, no credit decision', () => {
  for (const outcome of ['rejected', 'expired']) {
    const { s, effects } = run(application, kyc(outcome, ['documents:document-expired']));
    expect(s.output).toEqual({ outcome: 'declined', applicationId: 'LOAN-1', amount: application.amount, reason: `identity-${outcome}` });
    expect(named(effects)).toEqual([adverseAction(`identity-${outcome}`)]);
    expect(effects.some((e) => e.kind === 'invoke')).toBe(false);
  }
});

test('the applicant lets the offer lapse or declines it: expired or withdrawn, without a notice', () => {
  const lapsed = run(application, kyc('verified'), credit(750), after('offerExpiry', 'awaitingAcceptance'));
  expect(lapsed.s.output).toMatchObject({ outcome: 'expired', reason: 'offer-expired' });
  expect(named(lapsed.effects)).toEqual([]);

  const declined = run(application, kyc('verified'), credit(750), signal('offer.declined', { reason: 'elsewhere' }));
  expect(declined.s.output).toMatchObject({ outcome: 'withdrawn', reason: 'offer-declined-by-applicant' });
  expect(named(declined.effects)).toEqual([]);
});

test('a failed disbursement, or a payment child that fails, ends failed with the offer withdrawn', () => {
  const settledFailed = run(application, kyc('verified'), credit(750), offerAccepted, settlement('failed'));
  expect(settledFailed.s.output).toMatchObject({ outcome: 'failed', reason: 'disbursement-failed' });
  expect(named(settledFailed.effects)).toEqual([offerWithdrawn('disbursement-failed')]);

  const childFailed = run(application, kyc('verified'), credit(750), offerAccepted, failed('paymentSettlement'));
  expect(childFailed.s.output).toMatchObject({ outcome: 'failed', reason: 'disbursement-error' });
  expect(named(childFailed.effects)).toEqual([offerWithdrawn('disbursement-error')]);
});

test('cancellation withdraws an outstanding offer; a disbursement under way refuses it (the money may already move)', () => {
  const cancel = signal('cancellation.requested');
  const offered = run(application, kyc('verified'), credit(750), cancel);
  expect(offered.s.output).toMatchObject({ outcome: 'withdrawn', reason: 'cancelled' });
  expect(named(offered.effects)).toEqual([offerWithdrawn('cancelled')]);

  const { s: disbursing } = run(application, kyc('verified'), credit(750), offerAccepted);
  const [after, actions] = transition(machine, disbursing, cancel as never);
  expect(after.value).toBe('disbursing');
  // Refused, and nothing stopped: no `stop` of the payment child.
  expect(toEngineEffects(actions, machine.id)).toEqual([{ kind: 'emit', event: { type: 'cancellation.refused', reason: 'the disbursement is under way: the loan ends when it settles or fails' } }]);
});

test('before an offer, cancellation is left to the engine; signals are refused out of their state', () => {
  const [s0] = initialTransition(machine, application);
  expect(transition(machine, s0, { type: 'cancellation.requested' })[0]).toBe(s0);
  expect(transition(machine, s0, { type: 'offer.accepted' })[0]).toBe(s0);
  const { s: referred } = run(application, kyc('verified'), credit(650));
  expect(transition(machine, referred, { type: 'cancellation.requested' })[0]).toBe(referred);
  expect(transition(machine, referred, { type: 'offer.accepted' })[0]).toBe(referred);
});

test('the default thresholds decline, refer and approve as documented', () => {
  const byDefault = createLoanApprovalMachine(defaultLoanApprovalConfig, children);
  const decide = (score: number) => {
    let [s] = initialTransition(byDefault, application);
    [s] = transition(byDefault, s, kyc('verified') as never);
    [s] = transition(byDefault, s, credit(score) as never);
    return s.value;
  };
  expect(decide(579)).toBe('declined');
  expect(decide(580)).toEqual({ underwriting: 'withinSla' });
  expect(decide(700)).toBe('awaitingAcceptance');
});
