import type { Money } from '../shared/money';

export interface TradeExecutionInput {
  orderId: string;
  /** The client's cash account at the bank: pays for a buy, is paid for a sell. */
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  limitPrice: Money;
}

/** An execution report as the broker's feed sends it; `fillId` makes a redelivery harmless. */
export interface Fill {
  fillId: string;
  quantity: number;
  price: Money;
}

export type TradeOutcome = 'settled' | 'rejected' | 'cancelled' | 'expired' | 'settlement-failed';

export interface TradeExecutionContext extends TradeExecutionInput {
  brokerOrderId: string | null;
  fills: Fill[];
  filledQuantity: number;
  /** Σ quantity × price of the fills, minor units: what settles, exactly. */
  filledNotional: number;
  cancelRequestedBy: string | null;
  /** Why the order stopped working before it was filled, if it did. */
  closeReason: 'cancelled' | 'expired' | null;
  transferId: string | null;
  outcome: TradeOutcome | null;
  reason: string | null;
}

export interface TradeExecutionOutput {
  outcome: TradeOutcome;
  orderId: string;
  filledQuantity: number;
  averagePrice?: Money;
  reason?: string;
}

export type CheckAccountInput = { account: string };
export type CheckAccountOutput = { accountId: string; currency: string; available: Money };

export type PlaceOrderInput = Pick<TradeExecutionInput, 'orderId' | 'symbol' | 'side' | 'quantity' | 'limitPrice'>;
export type PlaceOrderOutput = { brokerOrderId: string; status: 'accepted' | 'rejected'; rejectReason: string | null };

export type CancelOrderInput = { brokerOrderId: string };
/** The broker's status after the cancel: `cancelled`, or `filled` when the order completed first. */
export type CancelOrderOutput = { brokerOrderId: string; status: string };

export type SettleTradeInput = { orderId: string; from: string; to: string; amount: Money };
export type SettleTradeOutput = { transferId: string; amount: Money };

export type AllocateFillsParams = {
  orderId: string;
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  filledQuantity: number;
  averagePrice: Money;
  fills: Fill[];
};

export function notionalOf(order: Pick<TradeExecutionInput, 'quantity' | 'limitPrice'>): Money {
  return { value: order.quantity * order.limitPrice.value, currency: order.limitPrice.currency };
}

/** A fill the order can take: its currency, within the limit, no more than what remains. */
export function isAcceptableFill(context: TradeExecutionContext, fill: Fill): boolean {
  const { limitPrice, side } = context;
  if (fill.price.currency !== limitPrice.currency) return false;
  if (fill.quantity < 1 || context.filledQuantity + fill.quantity > context.quantity) return false;
  return side === 'buy' ? fill.price.value <= limitPrice.value : fill.price.value >= limitPrice.value;
}

export function withFill(context: TradeExecutionContext, fill: Fill): Partial<TradeExecutionContext> {
  return {
    fills: [...context.fills, { fillId: fill.fillId, quantity: fill.quantity, price: fill.price }],
    filledQuantity: context.filledQuantity + fill.quantity,
    filledNotional: context.filledNotional + fill.quantity * fill.price.value,
  };
}

/** Rounded to the minor unit, for reporting; settlement uses `filledNotional`. */
export function averagePrice(context: Pick<TradeExecutionContext, 'filledQuantity' | 'filledNotional' | 'limitPrice'>): Money {
  const value = context.filledQuantity > 0 ? Math.round(context.filledNotional / context.filledQuantity) : 0;
  return { value, currency: context.limitPrice.currency };
}
