import { assign, emit, setup } from 'xstate';
import { activity, effect, type CancellationRequested } from '../../src/engine';
import type { Money } from '../shared/money';
import {
  averagePrice,
  isAcceptableFill,
  notionalOf,
  withFill,
  type AllocateFillsParams,
  type CancelOrderInput,
  type CancelOrderOutput,
  type CheckAccountInput,
  type CheckAccountOutput,
  type Fill,
  type PlaceOrderInput,
  type PlaceOrderOutput,
  type SettleTradeInput,
  type SettleTradeOutput,
  type TradeExecutionContext,
  type TradeExecutionInput,
  type TradeExecutionOutput,
} from './trade-execution.types';

export * from './trade-execution.types';

export type TradeExecutionEvent =
  | ({ type: 'order.filled' } & Fill)
  | { type: 'order.cancelRequested'; requestedBy: string }
  | CancellationRequested;

export interface TradeExecutionConfig {
  /** Pre-trade limit: largest quantity one order may carry. */
  maxQuantity: number;
  /** Pre-trade limit: largest quantity × limit price; an order in another currency has no limit and is refused. */
  maxNotional: Money;
  /** The broker's cash account at the bank: the counterparty of every settlement transfer. */
  brokerAccount: string;
  /** Time in force (day order): from acceptance at the broker to the close of the trading day. */
  marketCloseMs: number;
  /** T+1 (calendar time, no holiday calendar): from the end of trading the order to settlement. */
  settlementLagMs: number;
}

export const defaultTradeExecutionConfig: TradeExecutionConfig = {
  maxQuantity: 10_000,
  maxNotional: { value: 100_000_000, currency: 'EUR' },
  brokerAccount: 'BROKER-CLEARING-EUR',
  marketCloseMs: 8 * 60 * 60_000,
  settlementLagMs: 24 * 60 * 60_000,
};

const errorMessage = (error: unknown): string => (error as { message?: string } | undefined)?.message ?? 'unknown error';

/**
 * A limit order from pre-trade risk check to settlement. The risk limits are guards over the
 * input and config; they hang on the settlement account lookup because the engine has no
 * eventless transitions, and that lookup is the one outside fact the check needs (the
 * account's currency and, for a buy, its buying power). Fills are execution reports sent
 * as signals; the order ends filled, cancelled or expired at the close, and whatever was
 * filled is allocated and settled T+1 against the broker's account.
 */
export function createTradeExecutionMachine(config: TradeExecutionConfig) {
  return setup({
    types: {
      input: {} as TradeExecutionInput,
      context: {} as TradeExecutionContext,
      events: {} as TradeExecutionEvent,
      output: {} as TradeExecutionOutput,
    },
    actors: {
      checkAccount: activity<CheckAccountInput, CheckAccountOutput>(),
      placeOrder: activity<PlaceOrderInput, PlaceOrderOutput>(),
      cancelOrder: activity<CancelOrderInput, CancelOrderOutput>(),
      settleTrade: activity<SettleTradeInput, SettleTradeOutput>(),
    },
    actions: {
      allocateFills: effect<AllocateFillsParams>(),
    },
    guards: {
      exceedsMaxQuantity: ({ context }) => context.quantity > config.maxQuantity,
      exceedsMaxNotional: ({ context }) =>
        context.limitPrice.currency !== config.maxNotional.currency || notionalOf(context).value > config.maxNotional.value,
      isAccountInOtherCurrency: ({ context }, account: CheckAccountOutput) => account.currency !== context.limitPrice.currency,
      lacksBuyingPower: ({ context }, account: CheckAccountOutput) => context.side === 'buy' && account.available.value < notionalOf(context).value,
      isBrokerRejected: (_, order: PlaceOrderOutput) => order.status === 'rejected',
      isCancelRequested: ({ context }) => context.cancelRequestedBy !== null,
      isDuplicateFill: ({ context }, fill: Fill) => context.fills.some((f) => f.fillId === fill.fillId),
      completesOrder: ({ context }, fill: Fill) => isAcceptableFill(context, fill) && context.filledQuantity + fill.quantity === context.quantity,
      isAcceptableFill: ({ context }, fill: Fill) => isAcceptableFill(context, fill),
      hasFills: ({ context }) => context.filledQuantity > 0,
      isFullyFilled: ({ context }) => context.filledQuantity === context.quantity,
      wasExpired: ({ context }) => context.closeReason === 'expired',
    },
    delays: {
      marketClose: config.marketCloseMs,
      settlementLag: config.settlementLagMs,
    },
  }).createMachine({
    id: 'trade-execution',
    initial: 'checkingLimits',
    context: ({ input }) => ({
      ...input,
      brokerOrderId: null,
      fills: [],
      filledQuantity: 0,
      filledNotional: 0,
      cancelRequestedBy: null,
      closeReason: null,
      transferId: null,
      outcome: null,
      reason: null,
    }),
    // Once the order may exist at the broker, a platform cancel must not stop the workflow
    // outright: it is recorded, and the state it arrives in decides (cancel at the broker
    // once the order is placed; too late once filled, the trade settles).
    on: {
      'cancellation.requested': { actions: assign({ cancelRequestedBy: ({ context }) => context.cancelRequestedBy ?? 'platform' }) },
    },
    states: {
      checkingLimits: {
        invoke: {
          id: 'checkAccount',
          src: 'checkAccount',
          input: ({ context }) => ({ account: context.account }),
          onDone: [
            { guard: 'exceedsMaxQuantity', target: 'rejected', actions: assign({ reason: 'max-quantity-exceeded' }) },
            { guard: 'exceedsMaxNotional', target: 'rejected', actions: assign({ reason: 'max-notional-exceeded' }) },
            { guard: { type: 'isAccountInOtherCurrency', params: ({ event }) => event.output }, target: 'rejected', actions: assign({ reason: 'account-currency-mismatch' }) },
            { guard: { type: 'lacksBuyingPower', params: ({ event }) => event.output }, target: 'rejected', actions: assign({ reason: 'insufficient-buying-power' }) },
            { target: 'routing' },
          ],
          onError: { target: 'rejected', actions: assign({ reason: ({ event }) => `account-check-refused: ${errorMessage(event.error)}` }) },
        },
        // Nothing exists outside yet: a cancel simply ends the order.
        on: { 'cancellation.requested': { target: 'cancelled', actions: assign({ cancelRequestedBy: 'platform' }) } },
      },
      routing: {
        invoke: {
          id: 'placeOrder',
          src: 'placeOrder',
          input: ({ context }) => ({
            orderId: context.orderId,
            symbol: context.symbol,
            side: context.side,
            quantity: context.quantity,
            limitPrice: context.limitPrice,
          }),
          onDone: [
            {
              guard: { type: 'isBrokerRejected', params: ({ event }) => event.output },
              target: 'rejected',
              actions: assign({ brokerOrderId: ({ event }) => event.output.brokerOrderId, reason: ({ event }) => `broker-rejected: ${event.output.rejectReason ?? 'no reason given'}` }),
            },
            // A cancel that arrived while the order was on its way is carried out now.
            { guard: 'isCancelRequested', target: 'orderOpen.cancelling', actions: assign({ brokerOrderId: ({ event }) => event.output.brokerOrderId }) },
            { target: 'orderOpen', actions: assign({ brokerOrderId: ({ event }) => event.output.brokerOrderId }) },
          ],
          onError: { target: 'rejected', actions: assign({ reason: ({ event }) => `broker-refused: ${errorMessage(event.error)}` }) },
        },
        on: { 'order.cancelRequested': { actions: assign({ cancelRequestedBy: ({ event }) => event.requestedBy }) } },
      },
      orderOpen: {
        initial: 'working',
        // Executions are facts: they count while a cancel or the expiry is still in flight.
        on: {
          'order.filled': [
            { guard: { type: 'isDuplicateFill', params: ({ event }) => event }, actions: emit(({ event }) => ({ type: 'fill.duplicateIgnored', fillId: event.fillId })) },
            { guard: { type: 'completesOrder', params: ({ event }) => event }, target: 'awaitingSettlement', actions: assign(({ context, event }) => withFill(context, event)) },
            { guard: { type: 'isAcceptableFill', params: ({ event }) => event }, actions: assign(({ context, event }) => withFill(context, event)) },
          ],
        },
        states: {
          working: {
            after: { marketClose: 'expiring' },
            on: {
              'order.cancelRequested': { target: 'cancelling', actions: assign({ cancelRequestedBy: ({ event }) => event.requestedBy }) },
              'cancellation.requested': { target: 'cancelling', actions: assign({ cancelRequestedBy: 'platform' }) },
            },
          },
          cancelling: {
            entry: assign({ closeReason: 'cancelled' }),
            invoke: {
              id: 'cancelOrder',
              src: 'cancelOrder',
              input: ({ context }) => ({ brokerOrderId: context.brokerOrderId ?? '' }),
              onDone: [{ guard: 'hasFills', target: '#trade-execution.awaitingSettlement' }, { target: '#trade-execution.cancelled' }],
            },
          },
          expiring: {
            entry: assign({ closeReason: 'expired' }),
            invoke: {
              id: 'cancelOrder',
              src: 'cancelOrder',
              input: ({ context }) => ({ brokerOrderId: context.brokerOrderId ?? '' }),
              onDone: [{ guard: 'hasFills', target: '#trade-execution.awaitingSettlement' }, { target: '#trade-execution.expired' }],
            },
          },
        },
      },
      awaitingSettlement: {
        entry: {
          type: 'allocateFills',
          params: ({ context }) => ({
            orderId: context.orderId,
            account: context.account,
            symbol: context.symbol,
            side: context.side,
            filledQuantity: context.filledQuantity,
            averagePrice: averagePrice(context),
            fills: context.fills,
          }),
        },
        after: { settlementLag: 'settling' },
      },
      settling: {
        invoke: {
          id: 'settleTrade',
          src: 'settleTrade',
          // A buy pays the broker; a sell is paid by it. The exact sum of the fills moves, not the rounded average.
          input: ({ context }) => ({
            orderId: context.orderId,
            from: context.side === 'buy' ? context.account : config.brokerAccount,
            to: context.side === 'buy' ? config.brokerAccount : context.account,
            amount: { value: context.filledNotional, currency: context.limitPrice.currency },
          }),
          onDone: [
            { guard: 'isFullyFilled', target: 'settled', actions: assign({ transferId: ({ event }) => event.output.transferId }) },
            { guard: 'wasExpired', target: 'expired', actions: assign({ transferId: ({ event }) => event.output.transferId }) },
            { target: 'cancelled', actions: assign({ transferId: ({ event }) => event.output.transferId }) },
          ],
          // The trade has executed and cannot be undone here; nothing moved on the ledger, so
          // operations resolve the settlement fail outside this workflow.
          onError: {
            target: 'settlementFailed',
            actions: [
              assign({ reason: ({ event }) => `settlement-refused: ${errorMessage(event.error)}` }),
              emit(({ context }) => ({ type: 'trade.settlementFailed', orderId: context.orderId })),
            ],
          },
        },
      },
      settled: { type: 'final', entry: assign({ outcome: 'settled' }) },
      rejected: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'rejected' }) },
      cancelled: { type: 'final', tags: ['cancelled'], entry: assign({ outcome: 'cancelled', reason: ({ context }) => `cancel requested by ${context.cancelRequestedBy ?? 'unknown'}` }) },
      expired: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'expired', reason: 'market-closed' }) },
      settlementFailed: { type: 'final', meta: { outcome: 'failure' }, entry: assign({ outcome: 'settlement-failed' }) },
    },
    output: ({ context }) => ({
      outcome: context.outcome ?? 'rejected',
      orderId: context.orderId,
      filledQuantity: context.filledQuantity,
      ...(context.filledQuantity > 0 ? { averagePrice: averagePrice(context) } : {}),
      ...(context.reason !== null ? { reason: context.reason } : {}),
    }),
  });
}
