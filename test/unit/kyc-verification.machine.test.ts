import { runMachine } from '../support/machine-run';
import { initialTransition, transition, type EventObject } from 'xstate';
import { toEngineEffects, type EngineEffect } from '../../src/engine/decider/action-adapter';
import {
  createKycVerificationMachine,
  defaultKycVerificationConfig,
  type KycVerificationConfig,
  type KycVerificationInput,
} from '../../machines/kyc-verification/kyc-verification.machine';

const config: KycVerificationConfig = { documentReminderMs: 1_000, documentExpiryMs: 5_000, complianceReviewSlaMs: 2_000 };
const machine = createKycVerificationMachine(config);

const passport = { type: 'passport' as const, number: 'C01X00T47', country: 'DE' };
const onFile: KycVerificationInput = { applicantId: 'CUST-1', name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12', documents: [passport] };
const nothingOnFile: KycVerificationInput = { applicantId: 'CUST-2', name: 'Jana Novak', country: 'DE' };

const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as EventObject;
const failed = (id: string) => ({ type: `xstate.error.actor.${id}`, error: { name: 'PartnerRejectedError', message: 'refused' } }) as unknown as EventObject;
const after = (delay: string, path: string) => ({ type: `xstate.after.${delay}.kyc-verification.${path}` }) as EventObject;

const documents = {
  clear: done('verifyDocuments', { result: 'clear', reasons: [] }),
  unclear: done('verifyDocuments', { result: 'unclear', reasons: ['missing-photo-id'] }),
  rejected: done('verifyDocuments', { result: 'rejected', reasons: ['document-expired'] }),
  missing: done('verifyDocuments', { result: 'missing', reasons: [] }),
};
const screening = {
  clear: done('screenApplicant', { result: 'clear', lists: [] }),
  hit: done('screenApplicant', { result: 'hit', lists: ['SANDBOX-SANCTIONS'] }),
  pep: done('screenApplicant', { result: 'pep', lists: ['SANDBOX-PEP'] }),
};

const run = (input: KycVerificationInput, ...events: EventObject[]) => runMachine(machine, input, ...events);

const named = (effects: EngineEffect[]) => effects.filter((e) => e.kind === 'effect');

test('documents on file, clear check and clear screening: verified by the rules', () => {
  const start = run(onFile);
  expect(start.s.value).toBe('checkingDocuments');
  expect(start.effects).toContainEqual({ kind: 'invoke', childId: 'verifyDocuments', src: 'verifyDocuments', input: { applicantId: 'CUST-1', documents: [passport] } });

  const screened = run(onFile, documents.clear);
  expect(screened.s.value).toBe('screening');
  expect(screened.effects).toContainEqual({
    kind: 'invoke', childId: 'screenApplicant', src: 'screenApplicant', input: { name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12' },
  });

  const { s } = run(onFile, documents.clear, screening.clear);
  expect(s.status).toBe('done');
  expect(s.output).toEqual({ outcome: 'verified', applicantId: 'CUST-1', riskFlags: [], decidedBy: 'automated' });
});

test('no documents on file: waits, reminds once after documentReminder, then checks what is submitted', () => {
  const waiting = run(nothingOnFile, documents.missing);
  expect(waiting.s.value).toEqual({ awaitingDocuments: 'pending' });
  const timers = waiting.effects.filter((e) => e.kind === 'timer').map((e) => (e as { delayMs: number }).delayMs);
  expect(timers.sort((a, b) => a - b)).toEqual([config.documentReminderMs, config.documentExpiryMs]);

  const reminded = run(nothingOnFile, documents.missing, after('documentReminder', 'awaitingDocuments.pending'));
  expect(reminded.s.value).toEqual({ awaitingDocuments: 'reminded' });
  expect(named(reminded.effects)).toEqual([{ kind: 'effect', name: 'remindApplicant', params: { applicantId: 'CUST-2' } }]);

  const submitted = run(nothingOnFile, documents.missing, after('documentReminder', 'awaitingDocuments.pending'), { type: 'documents.submitted', documents: [passport] } as EventObject);
  expect(submitted.s.value).toBe('checkingDocuments');
  expect(submitted.s.context.documents).toEqual([passport]);
  expect(submitted.effects).toContainEqual({ kind: 'cancelTimer', sendId: 'xstate.after.documentExpiry.kyc-verification.awaitingDocuments' });
  expect(submitted.effects).toContainEqual({ kind: 'invoke', childId: 'verifyDocuments', src: 'verifyDocuments', input: { applicantId: 'CUST-2', documents: [passport] } });
});

test('no documents before documentExpiry: expired', () => {
  const { s } = run(nothingOnFile, documents.missing, after('documentReminder', 'awaitingDocuments.pending'), after('documentExpiry', 'awaitingDocuments'));
  expect(s.output).toEqual({ outcome: 'expired', applicantId: 'CUST-2', riskFlags: [], decidedBy: 'automated' });
});

test('the provider rejects the documents: rejected at once, never screened', () => {
  const { s, effects } = run(onFile, documents.rejected);
  expect(s.output).toEqual({ outcome: 'rejected', applicantId: 'CUST-1', riskFlags: ['documents:document-expired'], decidedBy: 'automated' });
  expect(effects.some((e) => e.kind === 'invoke')).toBe(false);
});

test('unclear documents are screened, then reviewed even when the screening is clear; an approval verifies', () => {
  const review = run(onFile, documents.unclear, screening.clear);
  expect(review.s.value).toEqual({ complianceReview: 'withinSla' });
  expect(review.s.context.riskFlags).toEqual(['documents:missing-photo-id']);
  expect(review.effects).toContainEqual(expect.objectContaining({ kind: 'timer', delayMs: config.complianceReviewSlaMs }));

  const { s } = run(onFile, documents.unclear, screening.clear, { type: 'review.approved', reviewer: 'officer-1', note: 'seen in branch' } as EventObject);
  expect(s.output).toEqual({ outcome: 'verified', applicantId: 'CUST-1', riskFlags: ['documents:missing-photo-id'], decidedBy: 'officer-1' });
  expect(s.context.reviewNote).toBe('seen in branch');
});

test('a PEP match goes to review; the SLA escalates once and the review still decides', () => {
  const escalated = run(onFile, documents.clear, screening.pep, after('complianceReviewSla', 'complianceReview.withinSla'));
  expect(escalated.s.value).toEqual({ complianceReview: 'escalated' });
  expect(named(escalated.effects)).toEqual([
    { kind: 'effect', name: 'escalateReview', params: { applicantId: 'CUST-1', riskFlags: ['sanctions:pep', 'list:SANDBOX-PEP'] } },
  ]);
  // No further SLA timer: escalation happens once.
  expect(escalated.effects.some((e) => e.kind === 'timer')).toBe(false);

  const { s } = run(onFile, documents.clear, screening.pep, after('complianceReviewSla', 'complianceReview.withinSla'), { type: 'review.rejected', reviewer: 'officer-2' } as EventObject);
  expect(s.output).toEqual({ outcome: 'rejected', applicantId: 'CUST-1', riskFlags: ['sanctions:pep', 'list:SANDBOX-PEP'], decidedBy: 'officer-2' });
});

test('a sanctions hit is never verified by the rules', () => {
  const { s } = run(onFile, documents.clear, screening.hit);
  expect(s.value).toEqual({ complianceReview: 'withinSla' });
  expect(s.context.riskFlags).toEqual(['sanctions:hit', 'list:SANDBOX-SANCTIONS']);
});

test('partner refusals send the case to a human, still screened first', () => {
  const checkRefused = run(onFile, failed('verifyDocuments'));
  expect(checkRefused.s.value).toBe('screening');
  const { s } = run(onFile, failed('verifyDocuments'), failed('screenApplicant'));
  expect(s.value).toEqual({ complianceReview: 'withinSla' });
  expect(s.context.riskFlags).toEqual(['documents:check-failed', 'sanctions:screening-failed']);
});

test('a review decision is refused outside the review, and documents outside the wait', () => {
  const [s0] = initialTransition(machine, onFile);
  expect(transition(machine, s0, { type: 'review.approved', reviewer: 'officer-1' })[0]).toBe(s0);
  expect(transition(machine, s0, { type: 'documents.submitted', documents: [passport] })[0]).toBe(s0);
});

test('the default configuration waits days, not minutes', () => {
  expect(defaultKycVerificationConfig.documentReminderMs).toBeLessThan(defaultKycVerificationConfig.documentExpiryMs);
  const byDefault = createKycVerificationMachine(defaultKycVerificationConfig);
  const [, actions] = transition(byDefault, initialTransition(byDefault, nothingOnFile)[0], documents.missing as never);
  const delays = toEngineEffects(actions as never, 'kyc-verification').filter((e) => e.kind === 'timer').map((e) => (e as { delayMs: number }).delayMs);
  expect(Math.min(...delays)).toBeGreaterThanOrEqual(24 * 3_600_000);
});
