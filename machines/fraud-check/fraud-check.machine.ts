import { assign, setup } from 'xstate';
import { z } from 'zod';
import { activity, humanTask } from '../../src/engine';
import type { Money } from '../shared/money';

export interface FraudCheckConfig {
  /** Scores strictly below this are approved by the rules. */
  lowThreshold: number;
  /** Scores strictly above this are declined by the rules; the band in between goes to an analyst. */
  highThreshold: number;
  /** How long an analyst has to decide; when it lapses the transaction is declined (fail closed). */
  reviewSlaMs: number;
}

/** Mirrors the scorer's own bands (low < 40, high ≥ 75), with the boundaries sent to an analyst. */
export const defaultFraudCheckConfig: FraudCheckConfig = {
  lowThreshold: 40,
  highThreshold: 75,
  reviewSlaMs: 4 * 60 * 60_000,
};

export interface FraudCheckInput {
  transactionId: string;
  amount: Money;
  /** Context for the scorer: who pays and who is paid. */
  payer?: string;
  payee?: string;
}

export type FraudDecision = 'approved' | 'declined';
export type FraudDecider = 'rules' | 'analyst' | 'sla';

export interface FraudCheckOutput {
  decision: FraudDecision;
  score: number;
  decidedBy: FraudDecider;
}

export type ScoreTransactionInput = FraudCheckInput;
export interface ScoreTransactionOutput {
  score: number;
}

export interface ReviewDecision {
  reviewer: string;
  note?: string;
}

export type FraudCheckEvent = ({ type: 'review.approved' } & ReviewDecision) | ({ type: 'review.declined' } & ReviewDecision);

export interface FraudCheckContext extends FraudCheckInput {
  score: number | null;
  decision: FraudDecision | null;
  decidedBy: FraudDecider | null;
  reviewer: string | null;
  note: string | null;
}

/**
 * Scores a transaction and decides by thresholds; the uncertain middle band waits for an
 * analyst's signal for at most `reviewSla`, then declines. Pure: no I/O, no clock.
 */
export function createFraudCheckMachine(config: FraudCheckConfig) {
  return setup({
    types: {
      input: {} as FraudCheckInput,
      context: {} as FraudCheckContext,
      events: {} as FraudCheckEvent,
      output: {} as FraudCheckOutput,
    },
    actors: { scoreTransaction: activity<ScoreTransactionInput, ScoreTransactionOutput>() },
    guards: {
      isLowRisk: (_, params: { score: number }) => params.score < config.lowThreshold,
      isHighRisk: (_, params: { score: number }) => params.score > config.highThreshold,
    },
    actions: {
      recordScore: assign((_, params: { score: number }) => ({ score: params.score })),
      recordReview: assign((_, params: ReviewDecision) => ({ reviewer: params.reviewer, note: params.note ?? null })),
    },
    delays: { reviewSla: config.reviewSlaMs },
  }).createMachine({
    id: 'fraud-check',
    initial: 'scoring',
    context: ({ input }) => ({ ...input, score: null, decision: null, decidedBy: null, reviewer: null, note: null }),
    states: {
      scoring: {
        invoke: {
          id: 'scoreTransaction',
          src: 'scoreTransaction',
          input: ({ context }) => ({ transactionId: context.transactionId, amount: context.amount, payer: context.payer, payee: context.payee }),
          onDone: [
            {
              guard: { type: 'isLowRisk', params: ({ event }) => ({ score: event.output.score }) },
              target: 'approved',
              actions: [{ type: 'recordScore', params: ({ event }) => ({ score: event.output.score }) }, assign({ decidedBy: 'rules' })],
            },
            {
              guard: { type: 'isHighRisk', params: ({ event }) => ({ score: event.output.score }) },
              target: 'declined',
              actions: [{ type: 'recordScore', params: ({ event }) => ({ score: event.output.score }) }, assign({ decidedBy: 'rules' })],
            },
            { target: 'awaitingReview', actions: { type: 'recordScore', params: ({ event }) => ({ score: event.output.score }) } },
          ],
          // A scorer that cannot answer (after its retries) fails the check on purpose: the caller compensates.
          onError: 'scoringFailed',
        },
      },
      awaitingReview: {
        meta: {
          task: humanTask({
            title: 'Review a transaction the scorer could not decide',
            candidateGroups: ['fraud-analysts'],
            summary: ['amount', 'score', 'payer', 'payee', { label: 'transaction', path: 'transactionId' }],
            decisions: { approve: 'review.approved', decline: 'review.declined' },
            form: z.object({ note: z.string().max(2000).optional() }),
            principalField: 'reviewer',
            dueInMs: config.reviewSlaMs,
            escalation: { afterMs: Math.floor(config.reviewSlaMs / 2), group: 'fraud-leads' },
            fourEyes: { excludeInitiator: true, distinctFromEarlierDecisions: true },
          }),
        },
        after: { reviewSla: { target: 'declined', actions: assign({ decidedBy: 'sla' }) } },
        on: {
          'review.approved': {
            target: 'approved',
            actions: [{ type: 'recordReview', params: ({ event }) => ({ reviewer: event.reviewer, note: event.note }) }, assign({ decidedBy: 'analyst' })],
          },
          'review.declined': {
            target: 'declined',
            actions: [{ type: 'recordReview', params: ({ event }) => ({ reviewer: event.reviewer, note: event.note }) }, assign({ decidedBy: 'analyst' })],
          },
        },
      },
      approved: { type: 'final', entry: assign({ decision: 'approved' }) },
      declined: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ decision: 'declined' }) },
      // Tagged `failed`: the workflow ends `failed` and its parent gets the error event.
      scoringFailed: { type: 'final', tags: ['failed'] },
    },
    output: ({ context }) => ({
      // Only final states produce output and each sets the decision; declining is the safe reading otherwise.
      decision: context.decision ?? 'declined',
      score: context.score ?? 100,
      decidedBy: context.decidedBy ?? 'rules',
    }),
  });
}

export type FraudCheckMachine = ReturnType<typeof createFraudCheckMachine>;
