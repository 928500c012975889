import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { tradeExecutionDefinition } from '../../machines/trade-execution';
import type { TradeExecutionContext, TradeExecutionInput } from '../../machines/trade-execution/trade-execution.machine';
import type { SandboxClient, ScriptEntry } from '../../src/sandbox/client';
import { doneEvent, errorEvent, timerEvents, type ModelScenario } from './support/scenario';

const HOUR = 3_600_000;
const EUR = (value: number) => ({ value, currency: 'EUR' });

/** The bank accounts the paths use, opened by `prepare`; what `checkAccount` reads for each. */
const ACCOUNTS = {
  rich: { id: 'TE-MODEL-RICH', balance: EUR(10_000_000_000) },
  /** Its balance check answers slowly, so a cancel can arrive while the limits are checked. */
  slow: { id: 'TE-MODEL-SLOW', balance: EUR(10_000_000_000) },
  poor: { id: 'TE-MODEL-POOR', balance: EUR(0) },
  dollars: { id: 'TE-MODEL-USD', balance: { value: 10_000_000, currency: 'USD' } },
  broker: { id: 'TE-MODEL-BROKER', balance: EUR(10_000_000_000) },
} as const;
const MISSING_ACCOUNT = 'TE-MODEL-MISSING';

/**
 * What the broker and the bank answer is fixed per input (by `orderId`): `prepare` scripts
 * it before the start, with latency, because some paths end while an activity is in flight
 * or send a signal while it is (a cancel during routing), and the answer must not overtake them.
 */
const ORDER = {
  normal: 'MODEL-NORMAL',
  brokerReject: 'MODEL-BROKER-REJECT',
  brokerError: 'MODEL-BROKER-ERROR',
  settlementRefused: 'MODEL-SETTLEMENT-REFUSED',
} as const;
const ANSWER_LATENCY_MS = 1_200;

const order = (change: Partial<TradeExecutionInput>): TradeExecutionInput => ({
  orderId: ORDER.normal,
  account: ACCOUNTS.rich.id,
  symbol: 'ACME',
  side: 'buy',
  quantity: 10,
  limitPrice: EUR(10_000),
  ...change,
});

const refused = (message: string) => ({ name: 'PartnerRejectedError', message });
const signal = (type: string, payload: Record<string, unknown> = {}): EventObject => ({ type, ...payload });

/** checkAccount's answer as the real activity returns it (`available` drifts on the rich accounts; only the branch matters). */
function accountAnswer(account: string): EventObject {
  const known = Object.values(ACCOUNTS).find((a) => a.id === account);
  if (!known) return errorEvent('checkAccount', refused(`bank.getAccount failed (HTTP 404): account '${account}' does not exist`));
  return doneEvent('checkAccount', { accountId: known.id, currency: known.balance.currency, available: known.balance });
}

function fillEvents(c: TradeExecutionContext): EventObject[] {
  const remaining = c.quantity - c.filledQuantity;
  const events = [signal('order.filled', { fillId: `F${c.fills.length + 1}`, quantity: remaining, price: c.limitPrice })];
  if (remaining > 1) events.push(signal('order.filled', { fillId: `F${c.fills.length + 1}`, quantity: 1, price: c.limitPrice }));
  if (c.fills.length > 0) events.push(signal('order.filled', { ...c.fills[0] }));
  return events;
}

function eventsFor(s: AnyMachineSnapshot): EventObject[] {
  const c = s.context as TradeExecutionContext;
  if (s.matches('checkingLimits')) {
    return c.account === ACCOUNTS.slow.id ? [accountAnswer(c.account), signal('cancellation.requested')] : [accountAnswer(c.account)];
  }
  if (s.matches('routing')) {
    if (c.orderId === ORDER.brokerReject) return [doneEvent('placeOrder', { brokerOrderId: 'model', status: 'rejected', rejectReason: 'model-reject' })];
    if (c.orderId === ORDER.brokerError) return [errorEvent('placeOrder', refused('broker.placeOrder failed (HTTP 422)'))];
    return [
      doneEvent('placeOrder', { brokerOrderId: 'model', status: 'accepted', rejectReason: null }),
      signal('order.cancelRequested', { requestedBy: 'trader-7' }),
      signal('cancellation.requested'),
    ];
  }
  if (s.matches({ orderOpen: 'working' })) {
    return [...fillEvents(c), signal('order.cancelRequested', { requestedBy: 'trader-7' }), signal('cancellation.requested'), ...timerEvents(s)];
  }
  if (s.matches({ orderOpen: 'cancelling' }) || s.matches({ orderOpen: 'expiring' })) {
    return [doneEvent('cancelOrder', { brokerOrderId: 'model', status: 'cancelled' })];
  }
  if (s.matches('awaitingSettlement')) return timerEvents(s);
  if (s.matches('settling')) {
    return c.orderId === ORDER.settlementRefused
      ? [errorEvent('settleTrade', refused('bank.createTransfer failed (HTTP 422)'))]
      : [doneEvent('settleTrade', { transferId: 'model', amount: { value: c.filledNotional, currency: c.limitPrice.currency } })];
  }
  return [];
}

async function openAccounts(partners: SandboxClient): Promise<void> {
  // A fixed key per account: the second path to open it gets the stored answer, not a conflict.
  for (const { id, balance } of Object.values(ACCOUNTS)) {
    await partners.bank.openAccount({ id, initialBalance: balance }, { idempotencyKey: `model-open-${id}` });
  }
}

/** This workflow's broker and bank answers, slowed so that no signal or path end is overtaken. */
function answersFor(input: TradeExecutionInput, workflowId: string): { broker: ScriptEntry[]; bank: ScriptEntry[] } {
  const match = (path: string): ScriptEntry['match'] => ({ method: 'POST', path, idempotencyKeyPrefix: workflowId });
  const slow = { latencyMs: ANSWER_LATENCY_MS };
  const placed: ScriptEntry =
    input.orderId === ORDER.brokerReject
      ? { match: match('/broker/orders'), outcome: 'ok', body: { status: 'rejected', rejectReason: 'model-reject' }, ...slow }
      : input.orderId === ORDER.brokerError
        ? { match: match('/broker/orders'), outcome: 'error', status: 422, ...slow }
        : { match: match('/broker/orders'), outcome: 'ok', ...slow };
  const settled: ScriptEntry =
    input.orderId === ORDER.settlementRefused
      ? { match: match('/bank/transfers'), outcome: 'error', status: 422, ...slow }
      : { match: match('/bank/transfers'), outcome: 'ok', ...slow };
  return { broker: [placed, { match: match('/broker/orders/*/cancel'), outcome: 'ok', ...slow }], bank: [settled] };
}

export const tradeExecutionScenario: ModelScenario = {
  type: 'trade-execution',
  definitions: (deps) => [
    tradeExecutionDefinition(deps, {
      maxQuantity: 1_000,
      maxNotional: EUR(50_000_000),
      brokerAccount: ACCOUNTS.broker.id,
      marketCloseMs: 8 * HOUR,
      settlementLagMs: 24 * HOUR,
    }),
  ],
  inputs: [
    order({}),
    order({ quantity: 1_001, limitPrice: EUR(1) }), // max-quantity-exceeded
    order({ quantity: 1_000, limitPrice: EUR(100_000) }), // max-notional-exceeded
    order({ account: ACCOUNTS.dollars.id }), // account-currency-mismatch
    order({ account: ACCOUNTS.poor.id }), // insufficient-buying-power
    order({ account: MISSING_ACCOUNT }), // the account check is refused
    order({ account: ACCOUNTS.slow.id }), // cancelled while the limits are checked
    order({ orderId: ORDER.brokerReject }),
    order({ orderId: ORDER.brokerError }),
    order({ orderId: ORDER.settlementRefused }),
  ],
  events: eventsFor,
  // The fill progress, a pending cancel and why the order closed decide the later branches.
  stateKey: (s) => {
    const c = s.context as TradeExecutionContext;
    const filled = c.filledQuantity === 0 ? 'none' : c.filledQuantity === c.quantity ? 'full' : 'part';
    return `${filled}|${c.cancelRequestedBy === null ? '' : 'cancel'}|${c.closeReason ?? ''}`;
  },
  async prepare(input, { workflowId, partners }) {
    const order = input as TradeExecutionInput;
    await openAccounts(partners);
    if (order.account === ACCOUNTS.slow.id) {
      // A read carries no Idempotency-Key: this account is used by the one input that needs the delay.
      await partners.admin.script('bank', [{ match: { method: 'GET', path: `/bank/accounts/${ACCOUNTS.slow.id}` }, outcome: 'ok', latencyMs: ANSWER_LATENCY_MS }]);
    }
    const { broker, bank } = answersFor(order, workflowId);
    await partners.admin.script('broker', broker);
    await partners.admin.script('bank', bank);
  },
  // Every activity answer is fixed per input by `prepare`; each done/error event the
  // traversal offers is the one that input's answers produce, so nothing is left to arrange.
  async arrange() {},
};
