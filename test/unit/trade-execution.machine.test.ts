import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import {
  createTradeExecutionMachine,
  defaultTradeExecutionConfig,
  type TradeExecutionConfig,
  type TradeExecutionInput,
} from '../../machines/trade-execution/trade-execution.machine';

const config: TradeExecutionConfig = {
  ...defaultTradeExecutionConfig,
  maxQuantity: 1_000,
  maxNotional: { value: 5_000_000, currency: 'EUR' },
  brokerAccount: 'BROKER-EUR',
};
const machine = createTradeExecutionMachine(config);

const EUR = (value: number) => ({ value, currency: 'EUR' });
const order: TradeExecutionInput = { orderId: 'ORD-1', account: 'ACC-1', symbol: 'ACME', side: 'buy', quantity: 100, limitPrice: EUR(10_000) };
const richAccount = { accountId: 'ACC-1', currency: 'EUR', available: EUR(100_000_000) };

const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as EventObject;
const failed = (id: string, message: string) => ({ type: `xstate.error.actor.${id}`, error: { name: 'PartnerRejectedError', message } }) as EventObject;
const fill = (fillId: string, quantity: number, value = 10_000, currency = 'EUR') => ({ type: 'order.filled', fillId, quantity, price: { value, currency } }) as EventObject;
const MARKET_CLOSE = { type: 'xstate.after.marketClose.trade-execution.orderOpen.working' } as EventObject;
const SETTLEMENT_LAG = { type: 'xstate.after.settlementLag.trade-execution.awaitingSettlement' } as EventObject;

function run(input: TradeExecutionInput, ...events: EventObject[]): AnyMachineSnapshot {
  let [snapshot] = initialTransition(machine, input);
  for (const event of events) [snapshot] = transition(machine, snapshot, event as never);
  return snapshot;
}

function step(snapshot: AnyMachineSnapshot, event: EventObject) {
  return transition(machine, snapshot, event as never);
}

/** Up to `orderOpen.working`: limits passed, order accepted by the broker. */
function working(input: TradeExecutionInput = order): AnyMachineSnapshot {
  return run(input, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'ord-1', status: 'accepted', rejectReason: null }));
}

describe('pre-trade risk limits', () => {
  test('an order within every limit is routed to the broker with its own order id', () => {
    const [s0, startActions] = initialTransition(machine, order);
    expect(s0.value).toBe('checkingLimits');
    expect(startActions).toContainEqual(expect.objectContaining({ type: 'xstate.spawnChild', params: expect.objectContaining({ id: 'checkAccount', input: { account: 'ACC-1' } }) }));
    const [s1, actions] = step(s0, done('checkAccount', richAccount));
    expect(s1.value).toBe('routing');
    expect(actions).toContainEqual(
      expect.objectContaining({ params: expect.objectContaining({ id: 'placeOrder', input: { orderId: 'ORD-1', symbol: 'ACME', side: 'buy', quantity: 100, limitPrice: EUR(10_000) } }) }),
    );
  });

  test.each([
    ['a quantity above maxQuantity', { quantity: 1_001, limitPrice: EUR(1) }, richAccount, 'max-quantity-exceeded'],
    ['a notional above maxNotional', { quantity: 501, limitPrice: EUR(10_000) }, richAccount, 'max-notional-exceeded'],
    ['a currency without a notional limit', { limitPrice: { value: 10_000, currency: 'USD' } }, { ...richAccount, currency: 'USD' }, 'max-notional-exceeded'],
    ['an account in another currency', {}, { ...richAccount, currency: 'USD' }, 'account-currency-mismatch'],
    ['a buy beyond the buying power', {}, { ...richAccount, available: EUR(999_999) }, 'insufficient-buying-power'],
  ])('%s is rejected with its reason and never reaches the broker', (_name, change, account, reason) => {
    const s = run({ ...order, ...change }, done('checkAccount', account));
    expect(s.value).toBe('rejected');
    expect(s.output).toEqual({ outcome: 'rejected', orderId: 'ORD-1', filledQuantity: 0, reason });
  });

  test('the limits are inclusive: exactly maxQuantity, exactly maxNotional and exactly the buying power pass', () => {
    expect(run({ ...order, quantity: 1_000, limitPrice: EUR(1) }, done('checkAccount', richAccount)).value).toBe('routing');
    expect(run({ ...order, quantity: 500 }, done('checkAccount', { ...richAccount, available: EUR(5_000_000) })).value).toBe('routing');
  });

  test('a sell needs no buying power', () => {
    expect(run({ ...order, side: 'sell' }, done('checkAccount', { ...richAccount, available: EUR(0) })).value).toBe('routing');
  });

  test('an account the bank refuses to show rejects the order', () => {
    const s = run(order, failed('checkAccount', 'bank.getAccount failed (HTTP 404)'));
    expect(s.output).toMatchObject({ outcome: 'rejected', reason: 'account-check-refused: bank.getAccount failed (HTTP 404)' });
  });
});

describe('routing', () => {
  test('a broker reject ends rejected with the broker reason', () => {
    const s = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'ord-9', status: 'rejected', rejectReason: 'halted' }));
    expect(s.value).toBe('rejected');
    expect(s.context.brokerOrderId).toBe('ord-9');
    expect(s.output).toMatchObject({ outcome: 'rejected', reason: 'broker-rejected: halted' });
  });

  test('a broker refusal (error) ends rejected', () => {
    expect(run(order, done('checkAccount', richAccount), failed('placeOrder', 'invalid')).output).toMatchObject({ outcome: 'rejected', reason: 'broker-refused: invalid' });
  });

  test('a cancel arriving while the order is being placed is carried out once the broker accepted it', () => {
    let s = run(order, done('checkAccount', richAccount), { type: 'order.cancelRequested', requestedBy: 'trader-7' } as EventObject);
    expect(s.value).toBe('routing');
    const [next, actions] = step(s, done('placeOrder', { brokerOrderId: 'ord-1', status: 'accepted', rejectReason: null }));
    s = next;
    expect(s.value).toEqual({ orderOpen: 'cancelling' });
    expect(actions).toContainEqual(expect.objectContaining({ params: expect.objectContaining({ id: 'cancelOrder', input: { brokerOrderId: 'ord-1' } }) }));
  });
});

describe('fills', () => {
  test('partial fills accumulate, a duplicate fillId is ignored, the completing fill allocates', () => {
    let s = working();
    expect(s.value).toEqual({ orderOpen: 'working' });
    s = step(s, fill('F1', 40, 9_900))[0];
    expect(s.context).toMatchObject({ filledQuantity: 40, filledNotional: 396_000 });
    const [dup, dupActions] = step(s, fill('F1', 40, 9_900));
    expect(dup.context).toEqual(s.context);
    expect(dupActions).toContainEqual(expect.objectContaining({ type: 'xstate.emit', params: { event: { type: 'fill.duplicateIgnored', fillId: 'F1' } } }));
    const [full, actions] = step(dup, fill('F2', 60, 10_000));
    expect(full.value).toBe('awaitingSettlement');
    expect(full.context).toMatchObject({ filledQuantity: 100, filledNotional: 996_000 });
    expect(actions).toContainEqual(
      expect.objectContaining({
        type: 'allocateFills',
        params: expect.objectContaining({ orderId: 'ORD-1', filledQuantity: 100, averagePrice: EUR(9_960), fills: [expect.objectContaining({ fillId: 'F1' }), expect.objectContaining({ fillId: 'F2' })] }),
      }),
    );
  });

  test.each([
    ['more than the remaining quantity', fill('F1', 101)],
    ['another currency', fill('F1', 10, 10_000, 'USD')],
    ['a buy above the limit price', fill('F1', 10, 10_001)],
  ])('a fill for %s is not accepted', (_name, event) => {
    const s = working();
    const [next] = step(s, event);
    expect(next).toBe(s);
    expect(s.can(event)).toBe(false);
  });

  test('a sell fills at or above its limit', () => {
    const s = working({ ...order, side: 'sell' });
    expect(step(s, fill('F1', 10, 9_999))[0]).toBe(s);
    expect(step(s, fill('F1', 10, 10_001))[0].context.filledQuantity).toBe(10);
  });
});

describe('settlement', () => {
  test('T+1 after the last fill a buy pays the exact notional to the broker, then ends settled', () => {
    const s0 = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'ord-1', status: 'accepted', rejectReason: null }), fill('F1', 30, 9_999), fill('F2', 70, 10_000));
    const [s1, actions] = step(s0, SETTLEMENT_LAG);
    expect(s1.value).toBe('settling');
    expect(actions).toContainEqual(
      expect.objectContaining({ params: expect.objectContaining({ id: 'settleTrade', input: { orderId: 'ORD-1', from: 'ACC-1', to: 'BROKER-EUR', amount: EUR(999_970) } }) }),
    );
    const s2 = step(s1, done('settleTrade', { transferId: 'trf-1', amount: EUR(999_970) }))[0];
    expect(s2.value).toBe('settled');
    expect(s2.context.transferId).toBe('trf-1');
    expect(s2.output).toEqual({ outcome: 'settled', orderId: 'ORD-1', filledQuantity: 100, averagePrice: EUR(10_000) });
  });

  test('a sell is paid by the broker', () => {
    const s = run({ ...order, side: 'sell' }, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'o', status: 'accepted', rejectReason: null }), fill('F1', 100, 10_050));
    const [, actions] = step(s, SETTLEMENT_LAG);
    expect(actions).toContainEqual(expect.objectContaining({ params: expect.objectContaining({ input: expect.objectContaining({ from: 'BROKER-EUR', to: 'ACC-1', amount: EUR(1_005_000) }) }) }));
  });

  test('a refused settlement ends settlementFailed and is announced', () => {
    const s0 = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'o', status: 'accepted', rejectReason: null }), fill('F1', 100), SETTLEMENT_LAG);
    const [s1, actions] = step(s0, failed('settleTrade', 'insufficient funds'));
    expect(s1.value).toBe('settlementFailed');
    expect(s1.output).toMatchObject({ outcome: 'settlement-failed', filledQuantity: 100, reason: 'settlement-refused: insufficient funds' });
    expect(actions).toContainEqual(expect.objectContaining({ type: 'xstate.emit', params: { event: { type: 'trade.settlementFailed', orderId: 'ORD-1' } } }));
  });

  test('a platform cancel after the full fill is too late: it is recorded and the trade still settles', () => {
    let s = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'o', status: 'accepted', rejectReason: null }), fill('F1', 100));
    s = step(s, { type: 'cancellation.requested' } as EventObject)[0];
    expect(s.value).toBe('awaitingSettlement');
    expect(s.context.cancelRequestedBy).toBe('platform');
    s = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'o', status: 'accepted', rejectReason: null }), fill('F1', 100), { type: 'cancellation.requested' } as EventObject, SETTLEMENT_LAG, done('settleTrade', { transferId: 't', amount: EUR(1_000_000) }));
    expect(s.output).toMatchObject({ outcome: 'settled' });
  });
});

describe('cancel and expiry', () => {
  const cancelled = done('cancelOrder', { brokerOrderId: 'ord-1', status: 'cancelled' });

  test('a cancel with nothing filled cancels at the broker and ends cancelled', () => {
    const s = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'ord-1', status: 'accepted', rejectReason: null }), { type: 'order.cancelRequested', requestedBy: 'trader-7' } as EventObject);
    expect(s.value).toEqual({ orderOpen: 'cancelling' });
    expect(step(s, cancelled)[0].output).toEqual({ outcome: 'cancelled', orderId: 'ORD-1', filledQuantity: 0, reason: 'cancel requested by trader-7' });
  });

  test('a cancel after a partial fill allocates and settles the filled part, then ends cancelled', () => {
    let s = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'ord-1', status: 'accepted', rejectReason: null }), fill('F1', 40), { type: 'cancellation.requested' } as EventObject);
    expect(s.value).toEqual({ orderOpen: 'cancelling' });
    s = step(s, fill('F2', 10))[0]; // executed before the cancel reached the broker: still counts
    s = step(s, cancelled)[0];
    expect(s.value).toBe('awaitingSettlement');
    s = step(step(s, SETTLEMENT_LAG)[0], done('settleTrade', { transferId: 't', amount: EUR(500_000) }))[0];
    expect(s.output).toEqual({ outcome: 'cancelled', orderId: 'ORD-1', filledQuantity: 50, averagePrice: EUR(10_000), reason: 'cancel requested by platform' });
  });

  test('at the market close the remainder is cancelled at the broker and the order ends expired', () => {
    const [s, actions] = step(working(), MARKET_CLOSE);
    expect(s.value).toEqual({ orderOpen: 'expiring' });
    expect(actions).toContainEqual(expect.objectContaining({ params: expect.objectContaining({ id: 'cancelOrder' }) }));
    expect(step(s, cancelled)[0].output).toEqual({ outcome: 'expired', orderId: 'ORD-1', filledQuantity: 0, reason: 'market-closed' });
  });

  test('an expired order with fills settles them and ends expired; one completed during the expiry ends settled', () => {
    const partial = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'o', status: 'accepted', rejectReason: null }), fill('F1', 20), MARKET_CLOSE, cancelled, SETTLEMENT_LAG);
    expect(step(partial, done('settleTrade', { transferId: 't', amount: EUR(200_000) }))[0].output).toMatchObject({ outcome: 'expired', filledQuantity: 20 });
    const completed = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'o', status: 'accepted', rejectReason: null }), MARKET_CLOSE, fill('F1', 100));
    expect(completed.value).toBe('awaitingSettlement');
    expect(step(step(completed, SETTLEMENT_LAG)[0], done('settleTrade', { transferId: 't', amount: EUR(1_000_000) }))[0].output).toMatchObject({ outcome: 'settled' });
  });

  test('a platform cancel before anything reached the broker ends cancelled at once', () => {
    const s = run(order, { type: 'cancellation.requested' } as EventObject);
    expect(s.value).toBe('cancelled');
    expect(s.output).toMatchObject({ outcome: 'cancelled', reason: 'cancel requested by platform' });
  });

  test('a client cancel is not accepted once the order is filled', () => {
    const s = run(order, done('checkAccount', richAccount), done('placeOrder', { brokerOrderId: 'o', status: 'accepted', rejectReason: null }), fill('F1', 100));
    expect(s.can({ type: 'order.cancelRequested', requestedBy: 'x' } as never)).toBe(false);
  });
});
