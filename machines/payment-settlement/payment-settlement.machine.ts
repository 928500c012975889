import { assign, emit, setup, type AnyStateMachine } from 'xstate';
import { activity } from '../../src/engine';
import type {
  CaptureHoldInput, CaptureHoldOutput, ExecuteQuoteInput, ExecuteQuoteOutput, FraudScreeningResult, PaymentOutcome,
  PaymentSettlementContext, PaymentSettlementEvent, PaymentSettlementInput, PaymentSettlementOutput, QuerySettlementInput,
  QuerySettlementOutput, ReleaseHoldInput, ReleaseHoldOutput, RequestQuoteInput, RequestQuoteOutput, ReserveFundsInput,
  ReserveFundsOutput, FindHoldOutput, FindTransferOutput, ReverseFxDealInput, ReverseFxDealOutput, ReverseTransferInput, ReverseTransferOutput, SettlementNotice, SubmitTransferInput, SubmitTransferOutput,
  ValidatePaymentInput, ValidatePaymentOutput,
} from './payment-settlement.types';

export type * from './payment-settlement.types';

export interface PaymentSettlementConfig {
  /**
   * The platform's own account per currency. The payout transfer leaves from the creditor
   * currency's account; the debtor's hold is captured into the debtor currency's account.
   */
  settlementAccounts: Record<string, string>;
  /** How long to wait for the bank's settlement callback before asking the bank. */
  settlementTimeoutMs: number;
  /** Quotes taken in all before the payment fails for want of a rate. */
  maxQuoteAttempts: number;
}

export const defaultPaymentSettlementConfig: PaymentSettlementConfig = {
  settlementAccounts: {
    EUR: 'statera-settlement-eur',
    USD: 'statera-settlement-usd',
    GBP: 'statera-settlement-gbp',
    CHF: 'statera-settlement-chf',
  },
  settlementTimeoutMs: 15 * 60_000,
  maxQuoteAttempts: 3,
};

export interface PaymentSettlementChildren {
  /** The very machine registered as the `fraud-check` definition. */
  fraudCheck: AnyStateMachine;
}

type Ending = { outcome: PaymentOutcome; reason: string };
/** A settlement notice for this payment: its reference, and its transfer when it names one. */
function isOurs(context: PaymentSettlementContext, notice: SettlementNotice): boolean {
  return notice.reference === context.paymentId && (notice.transferId === undefined || notice.transferId === context.transferId);
}

const cancelledBeforeSubmission: Ending = { outcome: 'cancelled', reason: 'cancelled before submission' };

/**
 * Settles a payment: validate → hold the debtor's funds → fraud screening (child workflow)
 * → FX when the currencies differ → pay out from the platform account → wait for settlement
 * → capture the hold into the platform account. Every failure after the hold releases it;
 * a failure after the payout reverses it first. Cancellable only before the payout is submitted.
 */
export function createPaymentSettlementMachine(config: PaymentSettlementConfig, children: PaymentSettlementChildren) {
  return setup({
    types: {
      input: {} as PaymentSettlementInput,
      context: {} as PaymentSettlementContext,
      events: {} as PaymentSettlementEvent,
      output: {} as PaymentSettlementOutput,
      emitted: {} as { type: 'cancellation.refused'; reason: string },
    },
    actors: {
      validatePayment: activity<ValidatePaymentInput, ValidatePaymentOutput>(),
      reserveFunds: activity<ReserveFundsInput, ReserveFundsOutput>(),
      findHold: activity<Record<string, never>, FindHoldOutput>(),
      findTransfer: activity<Record<string, never>, FindTransferOutput>(),
      fraudCheck: children.fraudCheck,
      requestQuote: activity<RequestQuoteInput, RequestQuoteOutput>(),
      executeQuote: activity<ExecuteQuoteInput, ExecuteQuoteOutput>(),
      reverseFxDeal: activity<ReverseFxDealInput, ReverseFxDealOutput>(),
      submitTransfer: activity<SubmitTransferInput, SubmitTransferOutput>(),
      querySettlement: activity<QuerySettlementInput, QuerySettlementOutput>(),
      captureHold: activity<CaptureHoldInput, CaptureHoldOutput>(),
      reverseTransfer: activity<ReverseTransferInput, ReverseTransferOutput>(),
      releaseHold: activity<ReleaseHoldInput, ReleaseHoldOutput>(),
    },
    guards: {
      isValid: (_, params: ValidatePaymentOutput) => params.valid,
      isFraudDeclined: (_, params: FraudScreeningResult) => params.decision !== 'approved',
      needsConversion: ({ context }) => context.amount.currency !== context.creditorCurrency,
      isQuoteExpired: (_, params: { status: ExecuteQuoteOutput['status'] }) => params.status === 'expired',
      shouldRequote: ({ context }, params: { status: ExecuteQuoteOutput['status'] }) =>
        params.status === 'expired' && context.quoteAttempts < config.maxQuoteAttempts,
      /** A callback for another payment, or for a transfer other than ours, is not accepted. */
      isOurSettlement: ({ context }, params: SettlementNotice) => isOurs(context, params),
      isSettled: (_, params: QuerySettlementOutput) => params.status === 'settled',
      isSettlementFailed: (_, params: QuerySettlementOutput) => params.status === 'failed' || params.status === 'reversed',
      isCancelling: ({ context }) => context.outcome === 'cancelled',
      holdFound: (_, params: FindHoldOutput) => params.holdId !== null,
      transferFound: (_, params: FindTransferOutput) => params.transferId !== null,
      isRejecting: ({ context }) => context.outcome === 'rejected',
      /** Cancelled while the execution ran, and the deal was made: it is unwound. */
      isCancellingWithDeal: ({ context }, params: { status: ExecuteQuoteOutput['status'] }) => context.outcome === 'cancelled' && params.status === 'executed',
      /** An FX deal was executed for this payment: if it does not go ahead, the deal is unwound. */
      hasFxDeal: ({ context }) => context.fxRate !== null,
      isOurSettlementWithDeal: ({ context }, params: SettlementNotice) => isOurs(context, params) && context.fxRate !== null,
      isSettlementFailedWithDeal: ({ context }, params: QuerySettlementOutput) => (params.status === 'failed' || params.status === 'reversed') && context.fxRate !== null,
    },
    actions: {
      /** Decides how the payment ends; the compensation that follows reads it. */
      decideEnding: assign((_, params: Ending) => ({ outcome: params.outcome, reason: params.reason })),
      recordScreening: assign((_, params: FraudScreeningResult) => ({ fraud: params })),
      /** Same currency: the creditor receives exactly the amount held. */
      payOutAsHeld: assign(({ context }) => ({ payout: context.amount })),
    },
    delays: { settlementTimeout: config.settlementTimeoutMs },
  }).createMachine({
    id: 'payment-settlement',
    initial: 'validating',
    context: ({ input }) => ({
      ...input,
      collectionAccount: config.settlementAccounts[input.amount.currency] ?? null,
      payoutAccount: config.settlementAccounts[input.creditorCurrency] ?? null,
      holdId: null,
      fraud: null,
      quoteId: null,
      quoteAttempts: 0,
      fxRate: null,
      payout: null,
      transferId: null,
      outcome: null,
      reason: null,
    }),
    // Once the payout is submitted money is in flight: a cancel is recorded as refused and the
    // payment carries on (were it not accepted at all, the engine would stop everything itself).
    on: { 'cancellation.requested': { actions: emit({ type: 'cancellation.refused', reason: 'the payout is already submitted' }) } },
    states: {
      validating: {
        invoke: {
          id: 'validatePayment',
          src: 'validatePayment',
          input: ({ context }) => ({
            debtorAccount: context.debtorAccount,
            creditorAccount: context.creditorAccount,
            amount: context.amount,
            creditorCurrency: context.creditorCurrency,
            collectionAccount: context.collectionAccount,
            payoutAccount: context.payoutAccount,
          }),
          onDone: [
            { guard: { type: 'isValid', params: ({ event }) => event.output }, target: 'reserving' },
            { target: 'failed', actions: { type: 'decideEnding', params: ({ event }) => ({ outcome: 'failed', reason: event.output.reason ?? 'invalid payment' }) } },
          ],
          // No onError: a validation that cannot complete opens an incident; nothing is held yet, and an operator retries or terminates it.
        },
        on: { 'cancellation.requested': { target: 'cancelled', actions: { type: 'decideEnding', params: cancelledBeforeSubmission } } },
      },
      reserving: {
        invoke: {
          id: 'reserveFunds',
          src: 'reserveFunds',
          input: ({ context }) => ({ accountId: context.debtorAccount, amount: context.amount }),
          onDone: [
            // A cancel that arrived while the hold was being placed releases it once its id is known.
            { guard: 'isCancelling', target: 'releasingHold', actions: assign({ holdId: ({ event }) => event.output.holdId }) },
            { target: 'screening', actions: assign({ holdId: ({ event }) => event.output.holdId }) },
          ],
          // Not confirmed is not "not placed": the bank is asked what it holds for the payment first.
          onError: [
            { guard: 'isCancelling', target: 'findingHold' },
            { target: 'findingHold', actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'funds could not be reserved' } } },
          ],
        },
        // Not left at once: the bank may be placing the hold right now.
        on: { 'cancellation.requested': { actions: { type: 'decideEnding', params: cancelledBeforeSubmission } } },
      },
      // The hold was not confirmed (its answer lost, then refused): the bank says whether it placed one anyway.
      findingHold: {
        invoke: {
          id: 'findHold',
          src: 'findHold',
          input: {},
          onDone: [
            { guard: { type: 'holdFound', params: ({ event }) => event.output }, target: 'releasingHold', actions: assign({ holdId: ({ event }) => event.output.holdId }) },
            { guard: 'isCancelling', target: 'cancelled' },
            { target: 'failed' },
          ],
        },
        on: { 'cancellation.requested': { actions: { type: 'decideEnding', params: cancelledBeforeSubmission } } },
      },
      screening: {
        invoke: {
          id: 'fraudCheck',
          src: 'fraudCheck',
          input: ({ context }: { context: PaymentSettlementContext }) => ({
            transactionId: context.paymentId,
            amount: context.amount,
            payer: context.debtorAccount,
            payee: context.creditorAccount,
          }),
          onDone: [
            {
              guard: { type: 'isFraudDeclined', params: ({ event }) => event.output as FraudScreeningResult },
              target: 'releasingHold',
              actions: [
                { type: 'recordScreening', params: ({ event }) => event.output as FraudScreeningResult },
                { type: 'decideEnding', params: ({ event }) => ({ outcome: 'rejected', reason: `declined by fraud screening (${(event.output as FraudScreeningResult).decidedBy})` }) },
              ],
            },
            { guard: 'needsConversion', target: 'quotingFx', actions: { type: 'recordScreening', params: ({ event }) => event.output as FraudScreeningResult } },
            { target: 'submitting', actions: [{ type: 'recordScreening', params: ({ event }) => event.output as FraudScreeningResult }, 'payOutAsHeld'] },
          ],
          onError: { target: 'releasingHold', actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'fraud screening failed' } } },
        },
        on: { 'cancellation.requested': { target: 'releasingHold', actions: { type: 'decideEnding', params: cancelledBeforeSubmission } } },
      },
      quotingFx: {
        invoke: {
          id: 'requestQuote',
          src: 'requestQuote',
          input: ({ context }) => ({ from: context.amount.currency, to: context.creditorCurrency, amount: context.amount }),
          onDone: { target: 'executingFx', actions: assign({ quoteId: ({ event }) => event.output.quoteId, quoteAttempts: ({ context }) => context.quoteAttempts + 1 }) },
          onError: { target: 'releasingHold', actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'no FX quote' } } },
        },
        on: { 'cancellation.requested': { target: 'releasingHold', actions: { type: 'decideEnding', params: cancelledBeforeSubmission } } },
      },
      // Left only once the partner's answer to the execution is known: no timer, no cancel
      // overtakes it, so a second quote is never executed while the first one's fate is open
      // (the partner says when a quote expired). A cancel waits for the answer, then unwinds.
      executingFx: {
        invoke: {
          id: 'executeQuote',
          src: 'executeQuote',
          // Set by quotingFx on the way here.
          input: ({ context }) => ({ quoteId: context.quoteId as string }),
          onDone: [
            {
              guard: { type: 'isCancellingWithDeal', params: ({ event }) => event.output },
              target: 'unwindingFx',
              actions: assign(({ event }) => (event.output.status === 'executed' ? { fxRate: event.output.rate, payout: event.output.bought } : {})),
            },
            { guard: 'isCancelling', target: 'releasingHold' },
            { guard: { type: 'shouldRequote', params: ({ event }) => event.output }, target: 'quotingFx' },
            {
              guard: { type: 'isQuoteExpired', params: ({ event }) => event.output },
              target: 'releasingHold',
              actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'FX quotes kept expiring' } },
            },
            {
              target: 'submitting',
              actions: assign(({ event }) => (event.output.status === 'executed' ? { fxRate: event.output.rate, payout: event.output.bought } : {})),
            },
          ],
          // Reported only once the partner refused (a 4xx): a lost answer is asked about and retried.
          onError: [
            { guard: 'isCancelling', target: 'releasingHold' },
            { target: 'releasingHold', actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'FX execution refused' } } },
          ],
        },
        on: { 'cancellation.requested': { actions: { type: 'decideEnding', params: cancelledBeforeSubmission } } },
      },
      // From here on money is in flight: the machine-wide refusal above applies.
      submitting: {
        invoke: {
          id: 'submitTransfer',
          src: 'submitTransfer',
          // Accounts validated in `validating`; payout set on the way here.
          input: ({ context }) => ({ from: context.payoutAccount as string, to: context.creditorAccount, amount: context.payout ?? context.amount, reference: context.paymentId }),
          onDone: { target: 'awaitingSettlement', actions: assign({ transferId: ({ event }) => event.output.transferId }) },
          // Not confirmed is not "not paid": the bank is asked for the payment's payout first.
          onError: 'findingTransfer',
        },
      },
      findingTransfer: {
        invoke: {
          id: 'findTransfer',
          src: 'findTransfer',
          input: {},
          onDone: [
            // Taken after all: it settles (or fails) like any other payout.
            { guard: { type: 'transferFound', params: ({ event }) => event.output }, target: 'awaitingSettlement', actions: assign({ transferId: ({ event }) => event.output.transferId }) },
            { guard: 'hasFxDeal', target: 'unwindingFx', actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'transfer refused by the bank' } } },
            { target: 'releasingHold', actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'transfer refused by the bank' } } },
          ],
        },
      },
      awaitingSettlement: {
        // The settlement timer leaves this state after `settlementTimeout`: still here at twice
        // that, the callback never came and the status query is not running either.
        meta: { sla: { maxDurationMs: 2 * config.settlementTimeoutMs } },
        after: { settlementTimeout: 'queryingSettlement' },
        on: {
          'settlement.confirmed': {
            guard: { type: 'isOurSettlement', params: ({ event }) => event },
            target: 'capturing',
            description: "the callback's reference must be this payment's paymentId, and its transfer this payment's transfer when one is given",
          },
          'settlement.failed': [
            {
              guard: { type: 'isOurSettlementWithDeal', params: ({ event }) => event },
              target: 'unwindingFx',
              actions: { type: 'decideEnding', params: ({ event }) => ({ outcome: 'failed', reason: `settlement failed: ${event.reason}` }) },
            },
            {
              guard: { type: 'isOurSettlement', params: ({ event }) => event },
              target: 'releasingHold',
              actions: { type: 'decideEnding', params: ({ event }) => ({ outcome: 'failed', reason: `settlement failed: ${event.reason}` }) },
            },
          ],
        },
      },
      queryingSettlement: {
        invoke: {
          id: 'querySettlement',
          src: 'querySettlement',
          input: ({ context }) => ({ transferId: context.transferId as string }),
          onDone: [
            { guard: { type: 'isSettled', params: ({ event }) => event.output }, target: 'capturing' },
            {
              guard: { type: 'isSettlementFailedWithDeal', params: ({ event }) => event.output },
              target: 'unwindingFx',
              actions: { type: 'decideEnding', params: ({ event }) => ({ outcome: 'failed', reason: `settlement ${event.output.status}: ${event.output.failureReason ?? 'no reason given'}` }) },
            },
            {
              guard: { type: 'isSettlementFailed', params: ({ event }) => event.output },
              target: 'releasingHold',
              actions: { type: 'decideEnding', params: ({ event }) => ({ outcome: 'failed', reason: `settlement ${event.output.status}: ${event.output.failureReason ?? 'no reason given'}` }) },
            },
            { target: 'awaitingSettlement' },
          ],
          // Only a read failed: keep waiting and ask again after the next timeout.
          onError: { target: 'awaitingSettlement' },
        },
      },
      capturing: {
        invoke: {
          id: 'captureHold',
          src: 'captureHold',
          input: ({ context }) => ({ holdId: context.holdId as string, toAccountId: context.collectionAccount as string }),
          onDone: 'settled',
          onError: { target: 'reversingTransfer', actions: { type: 'decideEnding', params: { outcome: 'failed', reason: 'hold could not be captured' } } },
        },
      },
      // Compensations. No onError: a compensation that cannot complete opens an incident; the payment keeps its state for an operator to retry.
      reversingTransfer: {
        invoke: {
          id: 'reverseTransfer',
          src: 'reverseTransfer',
          input: ({ context }) => ({ transferId: context.transferId as string, reason: context.reason ?? 'payment failed' }),
          onDone: [{ guard: 'hasFxDeal', target: 'unwindingFx' }, { target: 'releasingHold' }],
        },
      },
      // The payment does not go ahead after its FX deal was made: the deal is unwound, then the hold released.
      unwindingFx: {
        invoke: {
          id: 'reverseFxDeal',
          src: 'reverseFxDeal',
          input: ({ context }) => ({ quoteId: context.quoteId as string }),
          onDone: 'releasingHold',
        },
      },
      releasingHold: {
        invoke: {
          id: 'releaseHold',
          src: 'releaseHold',
          input: ({ context }) => ({ holdId: context.holdId as string }),
          onDone: [{ guard: 'isRejecting', target: 'rejected' }, { guard: 'isCancelling', target: 'cancelled' }, { target: 'failed' }],
        },
      },
      settled: { type: 'final', entry: assign({ outcome: 'settled', reason: null }) },
      rejected: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'rejected' }) },
      failed: { type: 'final', meta: { outcome: 'failure' }, entry: assign({ outcome: 'failed' }) },
      // The tag tells the engine which ending a cancellation request produced (a refused one settles as `completed`).
      cancelled: { type: 'final', tags: ['cancelled'], entry: assign({ outcome: 'cancelled' }) },
    },
    output: ({ context }) => ({
      outcome: context.outcome ?? 'failed',
      paymentId: context.paymentId,
      holdId: context.holdId,
      transferId: context.transferId,
      ...(context.fxRate === null ? {} : { fxRate: context.fxRate }),
      ...(context.reason === null ? {} : { reason: context.reason }),
    }),
  });
}

export type PaymentSettlementMachine = ReturnType<typeof createPaymentSettlementMachine>;
