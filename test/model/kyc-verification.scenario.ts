import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { kycVerificationDefinition } from '../../machines/kyc-verification';
import type { KycVerificationContext } from '../../machines/kyc-verification/kyc-verification.machine';
import type { ScriptEntry } from '../../src/sandbox/client';
import { doneEvent, errorEvent, timerEvents, type ArrangeContext, type ModelScenario } from './support/scenario';

const HOUR = 3_600_000;

const passport = { type: 'passport' as const, number: 'C01X00T47', country: 'DE' };
const reviewer = { reviewer: 'compliance-officer-7', note: 'checked against the source documents' };

/** What the KYC provider answers, and the activity returns, for each verdict the paths need. */
const documentVerdicts = {
  clear: { result: 'clear', reasons: [] },
  unclear: { result: 'unclear', reasons: ['missing-photo-id'] },
  rejected: { result: 'rejected', reasons: ['document-expired'] },
} as const;

const screeningVerdicts = {
  clear: { result: 'clear', lists: [] },
  hit: { result: 'hit', lists: [] },
  pep: { result: 'pep', lists: [] },
} as const;

/** A client's signal: its payload rides next to `type`. */
const signal = (type: string, payload: Record<string, unknown>): EventObject => ({ type, ...payload });

const refused = { name: 'PartnerRejectedError', message: 'the partner refused the request (422)' };

function eventsFor(s: AnyMachineSnapshot): EventObject[] {
  const context = s.context as KycVerificationContext;
  if (s.matches('checkingDocuments')) {
    // With nothing on file the activity answers `missing` without calling the provider.
    if (context.documents.length === 0) return [doneEvent('verifyDocuments', { result: 'missing', reasons: [] })];
    return [...Object.values(documentVerdicts).map((v) => doneEvent('verifyDocuments', v)), errorEvent('verifyDocuments', refused)];
  }
  if (s.matches('awaitingDocuments')) return [signal('documents.submitted', { documents: [passport] }), ...timerEvents(s)];
  if (s.matches('screening')) return [...Object.values(screeningVerdicts).map((v) => doneEvent('screenApplicant', v)), errorEvent('screenApplicant', refused)];
  if (s.matches('complianceReview')) return [signal('review.approved', reviewer), signal('review.rejected', reviewer), ...timerEvents(s)];
  return [];
}

/** Scripts the one partner call behind `event`, for this workflow's keys only. */
async function arrange(event: EventObject, ctx: ArrangeContext): Promise<void> {
  const match = (path: string): ScriptEntry['match'] => ({ method: 'POST', path, idempotencyKeyPrefix: ctx.workflowId });
  const { output, error } = event as EventObject & { output?: { result: string; reasons?: string[] }; error?: unknown };
  switch (event.type) {
    case 'xstate.done.actor.verifyDocuments':
      if (output!.result === 'missing') return;
      await ctx.partners.admin.script('kyc', [{ match: match('/kyc/checks'), outcome: 'ok', body: { result: output!.result, reasons: output!.reasons } }]);
      return;
    case 'xstate.error.actor.verifyDocuments':
      await ctx.partners.admin.script('kyc', [{ match: match('/kyc/checks'), outcome: 'error', status: 422 }]);
      return;
    case 'xstate.done.actor.screenApplicant':
      await ctx.partners.admin.script('sanctions', [{ match: match('/sanctions/screenings'), outcome: 'ok', body: { result: output!.result } }]);
      return;
    case 'xstate.error.actor.screenApplicant':
      await ctx.partners.admin.script('sanctions', [{ match: match('/sanctions/screenings'), outcome: 'error', status: 422 }]);
      return;
    default:
      throw new Error(`kyc-verification scenario: nothing to arrange for ${event.type} (${JSON.stringify(error ?? null)})`);
  }
}

export const kycVerificationScenario: ModelScenario = {
  type: 'kyc-verification',
  definitions: (deps) => [
    kycVerificationDefinition(deps, { documentReminderMs: 24 * HOUR, documentExpiryMs: 7 * 24 * HOUR, complianceReviewSlaMs: 24 * HOUR }),
  ],
  inputs: [
    // Nothing on file: the process waits for documents, then takes every branch after them.
    { applicantId: 'CUST-MODEL-1', name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12' },
    // Documents with the application, as a loan hands them over.
    { applicantId: 'CUST-MODEL-2', name: 'Jana Novak', country: 'DE', documents: [passport] },
  ],
  events: eventsFor,
  // Which documents are on file and what the provider said decide the next branches.
  stateKey: (s) => {
    const context = s.context as KycVerificationContext;
    return `${context.documents.length > 0}|${context.documentResult}`;
  },
  arrange,
};
