import { createHash } from 'node:crypto';
import type { ActivityContext } from '../../src/engine';
import { PartnerRejectedError, type PartnersClient } from '../../src/partners';
import { problemType } from '../../src/partners/problem-types';
import type {
  FindHoldOutput, FindTransferOutput,
  CaptureHoldInput, CaptureHoldOutput, ExecuteQuoteInput, ExecuteQuoteOutput, QuerySettlementInput, QuerySettlementOutput,
  ReleaseHoldInput, ReleaseHoldOutput, RequestQuoteInput, RequestQuoteOutput, ReserveFundsInput, ReserveFundsOutput,
  ReverseFxDealInput, ReverseFxDealOutput, ReverseTransferInput, ReverseTransferOutput, SubmitTransferInput, SubmitTransferOutput,
  ValidatePaymentInput, ValidatePaymentOutput,
} from './payment-settlement.types';

/**
 * The payment's own id for one of its instructions at a partner (a hold, its payout, its FX
 * deal): one per workflow, bounded in length (a workflow id may be long), so the payment (or a
 * reconciliation) can find what the partner did after every answer was lost.
 */
export function ownId(workflowId: string, what: 'hold' | 'payout' | 'fx'): string {
  return `${what}-${createHash('sha256').update(workflowId).digest('hex').slice(0, 40)}`;
}

function isProblem(err: unknown, slug: Parameters<typeof problemType>[0]): boolean {
  return err instanceof PartnerRejectedError && err.type === problemType(slug);
}

/**
 * The payment's partner calls. Every mutation passes the invocation's idempotency key, so a
 * retry (or a re-delivered job) replays the bank's first answer instead of moving money twice.
 */
export function createPaymentSettlementActivities(partners: PartnersClient) {
  const { bank, fx } = partners;

  /** What the FX partner says became of a quote: executed (the deal to adopt), expired, or not yet either (undefined). */
  async function outcomeOf(quoteId: string, ctx: ActivityContext): Promise<ExecuteQuoteOutput | undefined> {
    const quote = await fx.getQuote(quoteId, { signal: ctx.signal, correlationKey: ctx.idempotencyKey });
    if (quote.status === 'executed') return { status: 'executed', rate: quote.rate, bought: quote.converted };
    if (quote.status === 'expired') return { status: 'expired' };
    // Open: never executed, so executing it now is the first time. Reversed: the deal was made and
    // unwound, which only a payment that gave up on it does; it is not one to go ahead with.
    if (quote.status === 'reversed') return { status: 'expired' };
    return undefined;
  }

  /** The account's currency, or null when the bank does not know it. */
  async function currencyOf(accountId: string, signal: AbortSignal): Promise<string | null> {
    try {
      return (await bank.getAccount(accountId, { signal })).currency;
    } catch (err) {
      if (isProblem(err, 'not-found')) return null;
      throw err;
    }
  }

  return {
    /** Read-only: refuses what the bank would refuse later, before any money is held. */
    async validatePayment(input: ValidatePaymentInput, ctx: ActivityContext): Promise<ValidatePaymentOutput> {
      const invalid = (reason: string): ValidatePaymentOutput => ({ valid: false, reason });
      if (input.debtorAccount === input.creditorAccount) return invalid('debtor and creditor accounts are the same');
      if (!input.collectionAccount) return invalid(`no settlement account for ${input.amount.currency}`);
      if (!input.payoutAccount) return invalid(`no settlement account for ${input.creditorCurrency}`);
      const expected: [string, string, string][] = [
        ['debtor account', input.debtorAccount, input.amount.currency],
        ['creditor account', input.creditorAccount, input.creditorCurrency],
        ['collection account', input.collectionAccount, input.amount.currency],
        ['payout account', input.payoutAccount, input.creditorCurrency],
      ];
      for (const [what, id, currency] of expected) {
        const actual = await currencyOf(id, ctx.signal);
        if (actual === null) return invalid(`${what} ${id} does not exist`);
        if (actual !== currency) return invalid(`${what} ${id} is in ${actual}, expected ${currency}`);
      }
      return { valid: true, reason: null };
    },

    async reserveFunds(input: ReserveFundsInput, ctx: ActivityContext): Promise<ReserveFundsOutput> {
      const hold = await bank.createHold({ accountId: input.accountId, amount: input.amount, reference: ownId(ctx.workflowId, 'hold') }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
      return { holdId: hold.id };
    },

    /** After the hold was not confirmed (its answer lost, then refused): did the bank place one anyway? */
    async findHold(_input: Record<string, never>, ctx: ActivityContext): Promise<FindHoldOutput> {
      const { items } = await bank.findHolds(ownId(ctx.workflowId, 'hold'), { signal: ctx.signal, correlationKey: ctx.idempotencyKey });
      return { holdId: items.find((h) => h.status === 'active')?.id ?? null };
    },

    /** After the payout was not confirmed: did the bank take it anyway? */
    async findTransfer(_input: Record<string, never>, ctx: ActivityContext): Promise<FindTransferOutput> {
      const { items } = await bank.findTransfers(ownId(ctx.workflowId, 'payout'), { signal: ctx.signal, correlationKey: ctx.idempotencyKey });
      return { transferId: items[items.length - 1]?.id ?? null };
    },

    async requestQuote(input: RequestQuoteInput, ctx: ActivityContext): Promise<RequestQuoteOutput> {
      const quote = await fx.createQuote({ ...input, reference: ownId(ctx.workflowId, 'fx') }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
      return { quoteId: quote.id, rate: quote.rate, converted: quote.converted };
    },

    /**
     * Executes the quote once. A retry may follow an attempt whose answer was lost (applied at
     * the partner, or not): it asks the partner what became of the quote before executing it
     * again, and adopts a deal already made. An expired quote is only reported expired once the
     * partner says it was not executed.
     */
    async executeQuote(input: ExecuteQuoteInput, ctx: ActivityContext): Promise<ExecuteQuoteOutput> {
      if (ctx.attempt > 1) {
        const known = await outcomeOf(input.quoteId, ctx);
        if (known) return known;
      }
      try {
        const execution = await fx.executeQuote(input.quoteId, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
        return { status: 'executed', rate: execution.rate, bought: execution.bought };
      } catch (err) {
        // Expired, or executed already (by an attempt whose answer was lost): the quote says which.
        if (isProblem(err, 'quote-expired') || isProblem(err, 'quote-already-executed')) {
          const known = await outcomeOf(input.quoteId, ctx);
          if (known?.status === 'executed') return known;
          if (isProblem(err, 'quote-expired')) return { status: 'expired' };
        }
        throw err;
      }
    },

    /** Unwinds the payment's executed FX deal (it did not go ahead); repeating it answers the same. */
    async reverseFxDeal(input: ReverseFxDealInput, ctx: ActivityContext): Promise<ReverseFxDealOutput> {
      const reversal = await fx.reverseDeal(input.quoteId, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
      return { reversedAt: reversal.reversedAt };
    },

    async submitTransfer(input: SubmitTransferInput, ctx: ActivityContext): Promise<SubmitTransferOutput> {
      const transfer = await bank.createTransfer({ ...input, endToEndId: ownId(ctx.workflowId, 'payout') }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
      return { transferId: transfer.id };
    },

    async querySettlement(input: QuerySettlementInput, ctx: ActivityContext): Promise<QuerySettlementOutput> {
      const transfer = await bank.getTransfer(input.transferId, { signal: ctx.signal, correlationKey: ctx.idempotencyKey });
      return { status: transfer.status === 'submitted' ? 'pending' : transfer.status, failureReason: transfer.failureReason };
    },

    async captureHold(input: CaptureHoldInput, ctx: ActivityContext): Promise<CaptureHoldOutput> {
      const hold = await bank.captureHold(input.holdId, { toAccountId: input.toAccountId }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
      return { captured: hold.captured ?? hold.amount };
    },

    /** A transfer the bank already returned (failed) needs no reversal: the money is back. */
    async reverseTransfer(input: ReverseTransferInput, ctx: ActivityContext): Promise<ReverseTransferOutput> {
      try {
        await bank.reverseTransfer(input.transferId, { reason: input.reason.slice(0, 140) }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
        return { status: 'reversed' };
      } catch (err) {
        if (!isProblem(err, 'transfer-not-reversible')) throw err;
        const transfer = await bank.getTransfer(input.transferId, { signal: ctx.signal });
        if (transfer.status === 'reversed' || transfer.status === 'failed') return { status: transfer.status };
        throw err;
      }
    },

    /** Releasing an already released hold is success; a captured one is not, and needs an operator. */
    async releaseHold(input: ReleaseHoldInput, ctx: ActivityContext): Promise<ReleaseHoldOutput> {
      try {
        await bank.releaseHold(input.holdId, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
        return { status: 'released' };
      } catch (err) {
        if (!isProblem(err, 'hold-not-active')) throw err;
        const hold = await bank.getHold(input.holdId, { signal: ctx.signal });
        if (hold.status === 'released') return { status: 'released' };
        throw err;
      }
    },
  };
}
