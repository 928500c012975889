import { assign, emit, setup, type AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { activity, effect, humanTask } from '../../src/engine';
import type { Money } from '../shared/money';
import { automated, byUnderwriter, referralReasonFor, withinAutomaticLimit } from './loan-approval.rules';
import type {
  CreditReportInput,
  CreditReportResult,
  DisbursementInput,
  DisbursementOutput,
  KycChildInput,
  KycChildOutput,
  LoanApprovalContext,
  LoanApprovalEvent,
  LoanApprovalInput,
  LoanApprovalOutput,
  LoanOutcome,
} from './loan-approval.types';

export type * from './loan-approval.types';

export interface LoanApprovalConfig {
  /** Credit scores below this are declined without review. */
  declineBelowScore: number;
  /** Credit scores from this up may be approved without review (see autoApproveMaxAmount). */
  autoApproveFromScore: number;
  /** The largest amount approved without review, in minor units per currency; other currencies are always referred. */
  autoApproveMaxAmount: Record<string, number>;
  /** A referral undecided for this long is escalated once, then keeps waiting. */
  underwritingSlaMs: number;
  /** How long the applicant has to accept an offer. */
  offerExpiryMs: number;
  /** Approved amounts above this (minor units per currency; absent currency: always) need a second underwriter. */
  secondApprovalAbove: Record<string, number>;
}

const HOUR = 3_600_000;

const decisionForm = z.object({ note: z.string().max(2000).optional() });
const DAY = 24 * HOUR;

export const defaultLoanApprovalConfig: LoanApprovalConfig = {
  declineBelowScore: 580,
  autoApproveFromScore: 700,
  autoApproveMaxAmount: { EUR: 2_500_000, USD: 2_500_000, GBP: 2_000_000 },
  underwritingSlaMs: 2 * DAY,
  secondApprovalAbove: { EUR: 5_000_000, USD: 5_000_000, GBP: 4_000_000 },
  offerExpiryMs: 14 * DAY,
};

/** The processes the loan runs as child workflows: the very machines registered as their definitions. */
export interface LoanApprovalChildren {
  kycVerification: AnyStateMachine;
  paymentSettlement: AnyStateMachine;
}

/** Done events carry the activity's or child's output; the loan relies only on these contracts. */
const outputOf = <T>(event: unknown): T => (event as { output: T }).output;

/**
 * A consumer loan: identity verified by the kyc-verification child, a credit report, an
 * automated decision by configured thresholds (approve, decline, or refer to an
 * underwriter with an escalating SLA), an offer the applicant accepts before it expires,
 * and disbursement by the payment-settlement child. Every decline sends an adverse-action
 * notice; an offer that cannot be honoured is withdrawn. Pure: no I/O, no clock, no randomness.
 */
export function createLoanApprovalMachine(config: LoanApprovalConfig, children: LoanApprovalChildren) {
  return setup({
    types: {
      input: {} as LoanApprovalInput,
      context: {} as LoanApprovalContext,
      events: {} as LoanApprovalEvent,
      output: {} as LoanApprovalOutput,
      emitted: {} as { type: 'cancellation.refused'; reason: string },
    },
    actors: {
      kycVerification: children.kycVerification,
      pullCreditReport: activity<CreditReportInput, CreditReportResult>(),
      paymentSettlement: children.paymentSettlement,
    },
    actions: {
      escalateUnderwriting: effect<{ applicationId: string; amount: Money; referralReason: string | null }>(),
      sendOffer: effect<{ applicationId: string; applicantId: string; amount: Money; termMonths: number; validForMs: number }>(),
      withdrawOffer: effect<{ applicationId: string; applicantId: string; reason: string | null }>(),
      sendAdverseActionNotice: effect<{ applicationId: string; applicantId: string; reason: string | null }>(),
    },
    guards: {
      isIdentityVerified: ({ event }) => outputOf<KycChildOutput>(event).outcome === 'verified',
      isBelowMinimumScore: ({ event }) => outputOf<CreditReportResult>(event).score < config.declineBelowScore,
      isAutoApprovable: ({ context, event }) =>
        outputOf<CreditReportResult>(event).score >= config.autoApproveFromScore &&
        withinAutomaticLimit(config, context.amount) &&
        context.kycRiskFlags.length === 0,
      needsSecondApproval: ({ context }) => context.amount.value > (config.secondApprovalAbove[context.amount.currency] ?? -1),
      isSettled: ({ event }) => outputOf<DisbursementOutput>(event).outcome === 'settled',
    },
    delays: {
      underwritingSla: config.underwritingSlaMs,
      offerExpiry: config.offerExpiryMs,
    },
  }).createMachine({
    id: 'loan-approval',
    initial: 'verifyingIdentity',
    context: ({ input }) => ({
      ...input,
      kycRiskFlags: [],
      creditScore: null,
      referralReason: null,
      decision: null,
      reason: null,
      outcome: null,
    }),
    states: {
      verifyingIdentity: {
        invoke: {
          id: 'kycVerification',
          src: 'kycVerification',
          input: ({ context }: { context: LoanApprovalContext }): KycChildInput => ({
            applicantId: context.applicant.id,
            name: context.applicant.name,
            country: context.applicant.country,
            dateOfBirth: context.applicant.dateOfBirth,
            documents: context.applicant.documents ?? [],
          }),
          onDone: [
            {
              guard: 'isIdentityVerified',
              target: 'checkingCredit',
              actions: assign({ kycRiskFlags: ({ event }) => outputOf<KycChildOutput>(event).riskFlags }),
            },
            {
              // Rejected, or documents never came: the application cannot go on.
              target: 'declined',
              actions: assign({
                kycRiskFlags: ({ event }) => outputOf<KycChildOutput>(event).riskFlags,
                reason: ({ event }) => `identity-${outputOf<KycChildOutput>(event).outcome}`,
              }),
            },
          ],
        },
      },
      checkingCredit: {
        invoke: {
          id: 'pullCreditReport',
          src: 'pullCreditReport',
          input: ({ context }) => ({ applicationId: context.applicationId, applicantId: context.applicant.id }),
          onDone: [
            {
              guard: 'isBelowMinimumScore',
              target: 'declined',
              actions: assign({
                creditScore: ({ event }) => event.output.score,
                decision: ({ event }) => automated('declined', event.output.score),
                reason: 'credit-score-below-minimum',
              }),
            },
            {
              guard: 'isAutoApprovable',
              target: 'awaitingAcceptance',
              actions: assign({ creditScore: ({ event }) => event.output.score, decision: ({ event }) => automated('approved', event.output.score) }),
            },
            {
              target: 'underwriting',
              actions: assign({
                creditScore: ({ event }) => event.output.score,
                referralReason: ({ context, event }) => referralReasonFor(config, context, event.output.score),
              }),
            },
          ],
          // No report (no file at the bureau, or the bureau is down for good): a human decides.
          onError: { target: 'underwriting', actions: assign({ referralReason: 'credit-report-unavailable' }) },
        },
      },
      underwriting: {
        meta: {
          // The referral should be decided before it escalates: past that, it is overdue.
          sla: { maxDurationMs: config.underwritingSlaMs },
          task: humanTask({
            title: 'Underwrite a referred loan application',
            candidateGroups: ['underwriters'],
            summary: [{ label: 'applicant', path: 'applicant.name' }, 'amount', { label: 'term (months)', path: 'termMonths' }, { label: 'credit score', path: 'creditScore' }, { label: 'referred because', path: 'referralReason' }],
            decisions: { approve: 'underwriting.approved', decline: 'underwriting.declined' },
            form: decisionForm,
            principalField: 'underwriter',
            dueInMs: config.underwritingSlaMs,
            escalation: { afterMs: config.underwritingSlaMs, group: 'senior-underwriters' },
            fourEyes: { excludeInitiator: true, distinctFromEarlierDecisions: true },
          }),
        },
        initial: 'withinSla',
        states: {
          withinSla: {
            after: {
              underwritingSla: {
                target: 'escalated',
                actions: {
                  type: 'escalateUnderwriting',
                  params: ({ context }) => ({ applicationId: context.applicationId, amount: context.amount, referralReason: context.referralReason }),
                },
              },
            },
          },
          escalated: {},
        },
        on: {
          'underwriting.approved': [
            { guard: 'needsSecondApproval', target: 'secondApproval', actions: assign({ decision: ({ context, event }) => byUnderwriter('approved', context, event) }) },
            { target: 'awaitingAcceptance', actions: assign({ decision: ({ context, event }) => byUnderwriter('approved', context, event) }) },
          ],
          'underwriting.declined': {
            target: 'declined',
            actions: assign({ decision: ({ context, event }) => byUnderwriter('declined', context, event), reason: 'underwriter-declined' }),
          },
        },
      },
      // Maker-checker for large loans: a second underwriter, never the first one.
      secondApproval: {
        meta: {
          task: humanTask({
            title: 'Second approval of a large loan',
            candidateGroups: ['underwriters', 'senior-underwriters'],
            summary: [{ label: 'applicant', path: 'applicant.name' }, 'amount', { label: 'term (months)', path: 'termMonths' }, { label: 'credit score', path: 'creditScore' }],
            decisions: { approve: 'underwriting.secondApproved', decline: 'underwriting.secondDeclined' },
            form: decisionForm,
            principalField: 'underwriter',
            dueInMs: config.underwritingSlaMs,
            fourEyes: { excludeInitiator: true, distinctFromEarlierDecisions: true },
          }),
        },
        on: {
          'underwriting.secondApproved': 'awaitingAcceptance',
          'underwriting.secondDeclined': {
            target: 'declined',
            actions: assign({ decision: ({ context, event }) => byUnderwriter('declined', context, event), reason: 'second-approver-declined' }),
          },
        },
      },
      awaitingAcceptance: {
        entry: {
          type: 'sendOffer',
          params: ({ context }) => ({
            applicationId: context.applicationId,
            applicantId: context.applicant.id,
            amount: context.amount,
            termMonths: context.termMonths,
            validForMs: config.offerExpiryMs,
          }),
        },
        after: { offerExpiry: { target: 'expired', actions: assign({ reason: 'offer-expired' }) } },
        on: {
          'offer.accepted': 'disbursing',
          'offer.declined': { target: 'withdrawn', actions: assign({ reason: 'offer-declined-by-applicant' }) },
          'cancellation.requested': {
            target: 'withdrawn',
            actions: [
              assign({ reason: 'cancelled' }),
              { type: 'withdrawOffer', params: ({ context }) => ({ applicationId: context.applicationId, applicantId: context.applicant.id, reason: 'cancelled' }) },
            ],
          },
        },
      },
      disbursing: {
        invoke: {
          id: 'paymentSettlement',
          src: 'paymentSettlement',
          input: ({ context }: { context: LoanApprovalContext }): DisbursementInput => ({
            paymentId: `${context.applicationId}-disbursement`,
            debtorAccount: context.lenderAccount,
            creditorAccount: context.disbursementAccount,
            amount: context.amount,
            creditorCurrency: context.amount.currency,
          }),
          onDone: [{ guard: 'isSettled', target: 'disbursed' }, { target: 'failed', actions: assign({ reason: 'disbursement-failed' }) }],
          onError: { target: 'failed', actions: assign({ reason: 'disbursement-error' }) },
        },
        on: {
          // Refused: leaving would stop the payment child, which may itself refuse once its payout
          // is submitted, and the loan would say `withdrawn` while the money moves. The
          // disbursement settles or fails, and the loan ends accordingly.
          'cancellation.requested': { actions: emit({ type: 'cancellation.refused', reason: 'the disbursement is under way: the loan ends when it settles or fails' }) },
        },
      },
      disbursed: { type: 'final', entry: assign({ outcome: 'disbursed' }) },
      declined: {
        type: 'final',
        meta: { outcome: 'rejection' },
        entry: [
          assign({ outcome: 'declined' }),
          {
            type: 'sendAdverseActionNotice',
            params: ({ context }) => ({ applicationId: context.applicationId, applicantId: context.applicant.id, reason: context.reason }),
          },
        ],
      },
      expired: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'expired' }) },
      withdrawn: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'withdrawn' }) },
      failed: {
        type: 'final',
        meta: { outcome: 'failure' },
        entry: [
          assign({ outcome: 'failed' }),
          { type: 'withdrawOffer', params: ({ context }) => ({ applicationId: context.applicationId, applicantId: context.applicant.id, reason: context.reason }) },
        ],
      },
    },
    // Computed in a final state only, where `outcome` is set.
    output: ({ context }) => ({
      outcome: context.outcome as LoanOutcome,
      applicationId: context.applicationId,
      amount: context.amount,
      ...(context.decision ? { decision: context.decision } : {}),
      ...(context.reason ? { reason: context.reason } : {}),
    }),
  });
}
