import { NonRetryableError, type ActivityContext, type EffectContext } from '../../src/engine';
import { PartnerRejectedError, type PartnersClient } from '../../src/partners';
import { problemType } from '../../src/partners/problem-types';
import type {
  AllocateFillsParams,
  CancelOrderInput,
  CancelOrderOutput,
  CheckAccountInput,
  CheckAccountOutput,
  PlaceOrderInput,
  PlaceOrderOutput,
  SettleTradeInput,
  SettleTradeOutput,
} from './trade-execution.types';

const NOT_CANCELLABLE = problemType('order-not-cancellable');

/** A transfer the bank accepted but has not settled yet: retried (same key) until it has. */
export class SettlementPendingError extends Error {
  override readonly name = 'SettlementPendingError';
}

export function createTradeExecutionActivities(partners: PartnersClient) {
  return {
    /** Read-only: the facts the pre-trade guards need about the settlement account. */
    async checkAccount(input: CheckAccountInput, ctx: ActivityContext): Promise<CheckAccountOutput> {
      const account = await partners.bank.getAccount(input.account, { signal: ctx.signal });
      return { accountId: account.id, currency: account.currency, available: account.available };
    },

    /** The broker's reject is an answer, not an error: the machine routes on `status`. */
    async placeOrder(input: PlaceOrderInput, ctx: ActivityContext): Promise<PlaceOrderOutput> {
      const order = await partners.broker.placeOrder(
        { symbol: input.symbol, side: input.side, quantity: input.quantity, limitPrice: input.limitPrice, clientOrderId: input.orderId },
        { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
      );
      return { brokerOrderId: order.id, status: order.status === 'rejected' ? 'rejected' : 'accepted', rejectReason: order.rejectReason };
    },

    /**
     * Cancels the remainder. An order that is no longer live (filled meanwhile, or already
     * cancelled by an earlier attempt whose answer was lost) has nothing left to cancel:
     * that is reported, not thrown.
     */
    async cancelOrder(input: CancelOrderInput, ctx: ActivityContext): Promise<CancelOrderOutput> {
      try {
        const order = await partners.broker.cancelOrder(input.brokerOrderId, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
        return { brokerOrderId: order.id, status: order.status };
      } catch (err) {
        if (!(err instanceof PartnerRejectedError) || err.type !== NOT_CANCELLABLE) throw err;
        const order = await partners.broker.getOrder(input.brokerOrderId, { signal: ctx.signal });
        return { brokerOrderId: order.id, status: order.status };
      }
    },

    /** Moves the exact traded amount and returns once the bank reports the transfer settled. */
    async settleTrade(input: SettleTradeInput, ctx: ActivityContext): Promise<SettleTradeOutput> {
      const submitted = await partners.bank.createTransfer(
        { from: input.from, to: input.to, amount: input.amount, reference: `trade ${input.orderId}` },
        { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
      );
      const transfer = await partners.bank.getTransfer(submitted.id, { signal: ctx.signal });
      if (transfer.status === 'settled') return { transferId: transfer.id, amount: transfer.amount };
      if (transfer.status === 'submitted') throw new SettlementPendingError(`transfer ${transfer.id} is not settled yet`);
      // Failed (the bank returned the money) or reversed: nothing moved, retrying the same key would not help.
      throw new NonRetryableError(`transfer ${transfer.id} ${transfer.status}: ${transfer.failureReason ?? 'no reason given'}`, { transferId: transfer.id });
    },

    /**
     * Books the fills to the client's account in the back office. The sandbox has no
     * back-office partner, so the booking is a structured record keyed for deduplication.
     */
    async allocateFills(params: AllocateFillsParams, ctx: EffectContext): Promise<void> {
      process.stdout.write(
        // The client's account stays out of the log line: the order id leads back to it.
        `${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: 'fills allocated', orderId: params.orderId, symbol: params.symbol, side: params.side, filledQuantity: params.filledQuantity, fills: params.fills.length, workflowId: ctx.workflowId, effect: ctx.effect, idempotencyKey: ctx.idempotencyKey })}\n`,
      );
    },
  };
}

export type TradeExecutionActivities = ReturnType<typeof createTradeExecutionActivities>;
