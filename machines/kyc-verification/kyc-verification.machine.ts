import { assign, setup } from 'xstate';
import { z } from 'zod';
import { activity, effect, humanTask } from '../../src/engine';
import type {
  DocumentCheckInput,
  DocumentCheckResult,
  KycVerificationContext,
  KycVerificationEvent,
  KycVerificationInput,
  KycVerificationOutput,
  KycOutcome,
  ScreeningInput,
  ScreeningResult,
} from './kyc-verification.types';

export type * from './kyc-verification.types';

export interface KycVerificationConfig {
  /** Without documents for this long, the applicant is reminded once. */
  documentReminderMs: number;
  /** Without documents for this long (from the start of the wait), the verification lapses. */
  documentExpiryMs: number;
  /** A compliance review undecided for this long is escalated once, then keeps waiting. */
  complianceReviewSlaMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const defaultKycVerificationConfig: KycVerificationConfig = {
  documentReminderMs: 3 * DAY,
  documentExpiryMs: 30 * DAY,
  complianceReviewSlaMs: 2 * DAY,
};

/** Named guards only see the signals' types; a done event carries the activity's output. */
const outputOf = <T>(event: unknown): T => (event as { output: T }).output;

const documentFlags = (check: DocumentCheckResult): string[] =>
  check.result === 'clear' ? [] : check.reasons.map((reason) => `documents:${reason}`);

const screeningFlags = (screening: ScreeningResult): string[] =>
  screening.result === 'clear' ? [] : [`sanctions:${screening.result}`, ...screening.lists.map((list) => `list:${list}`)];

/**
 * Know-your-customer verification: the documents are checked by the KYC provider (the
 * process waits for them when none are on file), the applicant is screened against
 * sanctions and PEP lists, and anything short of all clear goes to a compliance reviewer.
 * Pure: no I/O, no clock, no randomness.
 */
export function createKycVerificationMachine(config: KycVerificationConfig) {
  return setup({
    types: {
      input: {} as KycVerificationInput,
      context: {} as KycVerificationContext,
      events: {} as KycVerificationEvent,
      output: {} as KycVerificationOutput,
    },
    actors: {
      verifyDocuments: activity<DocumentCheckInput, DocumentCheckResult>(),
      screenApplicant: activity<ScreeningInput, ScreeningResult>(),
    },
    actions: {
      remindApplicant: effect<{ applicantId: string }>(),
      escalateReview: effect<{ applicantId: string; riskFlags: string[] }>(),
    },
    guards: {
      hasNoDocuments: ({ event }) => outputOf<DocumentCheckResult>(event).result === 'missing',
      areDocumentsRejected: ({ event }) => outputOf<DocumentCheckResult>(event).result === 'rejected',
      isAllClear: ({ context, event }) => context.documentResult === 'clear' && outputOf<ScreeningResult>(event).result === 'clear',
    },
    delays: {
      documentReminder: config.documentReminderMs,
      documentExpiry: config.documentExpiryMs,
      complianceReviewSla: config.complianceReviewSlaMs,
    },
  }).createMachine({
    id: 'kyc-verification',
    initial: 'checkingDocuments',
    context: ({ input }) => ({
      applicantId: input.applicantId,
      name: input.name,
      country: input.country,
      dateOfBirth: input.dateOfBirth ?? null,
      documents: input.documents ?? [],
      documentResult: null,
      riskFlags: [],
      decidedBy: null,
      reviewNote: null,
      outcome: null,
    }),
    states: {
      checkingDocuments: {
        invoke: {
          id: 'verifyDocuments',
          src: 'verifyDocuments',
          input: ({ context }) => ({ applicantId: context.applicantId, documents: context.documents }),
          onDone: [
            { guard: 'hasNoDocuments', target: 'awaitingDocuments' },
            {
              guard: 'areDocumentsRejected',
              target: 'rejected',
              actions: assign({
                documentResult: 'rejected',
                riskFlags: ({ context, event }) => [...context.riskFlags, ...documentFlags(event.output)],
                decidedBy: 'automated',
              }),
            },
            {
              // clear or unclear: the screening runs either way, so a reviewer sees both answers.
              target: 'screening',
              actions: assign({
                documentResult: ({ event }) => event.output.result,
                riskFlags: ({ context, event }) => [...context.riskFlags, ...documentFlags(event.output)],
              }),
            },
          ],
          // A provider that refuses the check leaves the documents to a human, after the screening.
          onError: {
            target: 'screening',
            actions: assign({ documentResult: 'unclear', riskFlags: ({ context }) => [...context.riskFlags, 'documents:check-failed'] }),
          },
        },
      },
      awaitingDocuments: {
        initial: 'pending',
        states: {
          pending: {
            after: {
              documentReminder: {
                target: 'reminded',
                actions: { type: 'remindApplicant', params: ({ context }) => ({ applicantId: context.applicantId }) },
              },
            },
          },
          reminded: {},
        },
        after: { documentExpiry: { target: 'expired', actions: assign({ decidedBy: 'automated' }) } },
        on: {
          'documents.submitted': { target: 'checkingDocuments', actions: assign({ documents: ({ event }) => event.documents }) },
        },
      },
      screening: {
        invoke: {
          id: 'screenApplicant',
          src: 'screenApplicant',
          input: ({ context }) => ({ name: context.name, country: context.country, dateOfBirth: context.dateOfBirth }),
          onDone: [
            { guard: 'isAllClear', target: 'verified', actions: assign({ decidedBy: 'automated' }) },
            {
              target: 'complianceReview',
              actions: assign({ riskFlags: ({ context, event }) => [...context.riskFlags, ...screeningFlags(event.output)] }),
            },
          ],
          // Never verified unscreened: a reviewer must screen by hand.
          onError: { target: 'complianceReview', actions: assign({ riskFlags: ({ context }) => [...context.riskFlags, 'sanctions:screening-failed'] }) },
        },
      },
      complianceReview: {
        meta: {
          // A screening hit waits on compliance; past the escalation point it is overdue.
          sla: { maxDurationMs: config.complianceReviewSlaMs },
          task: humanTask({
            title: 'Compliance review of a screening hit, PEP or unclear check',
            candidateGroups: ['compliance'],
            summary: [{ label: 'applicant', path: 'name' }, 'country', { label: 'documents', path: 'documentResult' }, { label: 'risk flags', path: 'riskFlags' }],
            decisions: { approve: 'review.approved', reject: 'review.rejected' },
            form: z.object({ note: z.string().max(2000).optional() }),
            principalField: 'reviewer',
            dueInMs: config.complianceReviewSlaMs,
            escalation: { afterMs: config.complianceReviewSlaMs, group: 'compliance-leads' },
            fourEyes: { excludeInitiator: true, distinctFromEarlierDecisions: true },
          }),
        },
        initial: 'withinSla',
        states: {
          withinSla: {
            after: {
              complianceReviewSla: {
                target: 'escalated',
                actions: { type: 'escalateReview', params: ({ context }) => ({ applicantId: context.applicantId, riskFlags: context.riskFlags }) },
              },
            },
          },
          escalated: {},
        },
        on: {
          'review.approved': {
            target: 'verified',
            actions: assign({ decidedBy: ({ event }) => event.reviewer, reviewNote: ({ event }) => event.note ?? null }),
          },
          'review.rejected': {
            target: 'rejected',
            actions: assign({ decidedBy: ({ event }) => event.reviewer, reviewNote: ({ event }) => event.note ?? null }),
          },
        },
      },
      verified: { type: 'final', entry: assign({ outcome: 'verified' }) },
      rejected: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'rejected' }) },
      expired: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'expired' }) },
    },
    // Computed in a final state only, where `outcome` and `decidedBy` are set.
    output: ({ context }) => ({
      outcome: context.outcome as KycOutcome,
      applicantId: context.applicantId,
      riskFlags: context.riskFlags,
      decidedBy: context.decidedBy as string,
    }),
  });
}
