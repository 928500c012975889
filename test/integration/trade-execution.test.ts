import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { tradeExecutionDefinition } from '../../machines/trade-execution';
import type { TradeExecutionConfig, TradeExecutionContext } from '../../machines/trade-execution/trade-execution.machine';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { waitFor } from '../support/env';
import { startHarness, USER, type Harness } from '../support/harness';

const EUR = (value: number) => ({ value, currency: 'EUR' });
const run = randomBytes(3).toString('hex');
const BROKER = `BROKER-${run}`;
const config: Partial<TradeExecutionConfig> = {
  maxQuantity: 1_000,
  maxNotional: EUR(50_000_000),
  brokerAccount: BROKER,
  marketCloseMs: 10 * 60_000,
  settlementLagMs: 200,
};

let sandbox: RunningSandbox;
let partners: SandboxClient;
let h: Harness;
/** The same process with the market closing 300 ms after the order is accepted. */
let hClose: Harness;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5_000 });
  [h, hClose] = await Promise.all([
    startHarness('trade_execution', [tradeExecutionDefinition({ partners }, config)]),
    startHarness('trade_execution_close', [tradeExecutionDefinition({ partners }, { ...config, marketCloseMs: 300 })]),
  ]);
  await openAccount(BROKER, 1_000_000_000);
});
afterAll(async () => {
  await Promise.all([h?.close(), hClose?.close()]);
  await sandbox?.close();
});

let seq = 0;
const uniqueId = (label: string) => `te-${label}-${run}-${++seq}`;

async function openAccount(id: string, value: number): Promise<string> {
  await partners.bank.openAccount({ id, initialBalance: EUR(value) }, { idempotencyKey: `open-${id}` });
  return id;
}
const balance = async (id: string) => (await partners.bank.getAccount(id)).balance.value;
const customerTotal = async () => (await partners.bank.ledgerTotals()).currencies.EUR.customer;

function order(account: string, change: Record<string, unknown> = {}) {
  return { orderId: uniqueId('ord'), account, symbol: 'ACME', side: 'buy', quantity: 100, limitPrice: EUR(10_000), ...change };
}

async function start(engine: Harness, input: ReturnType<typeof order>): Promise<string> {
  const { workflow } = await engine.runtime.engine.start({ type: 'trade-execution', workflowId: uniqueId('wf'), input }, USER);
  return workflow.id;
}

async function untilState(engine: Harness, id: string, state: unknown) {
  return waitFor(async () => {
    const w = await engine.get(id);
    return isDeepStrictEqual(w.state, state) ? w : undefined;
  }, `${id} to reach ${JSON.stringify(state)}`);
}

/** The instance's context, as the engine stored it. */
const contextOf = (w: { context: unknown }) => w.context as TradeExecutionContext;

/** The broker's view of the instance's order. */
function brokerOrder(w: { context: unknown }) {
  const { brokerOrderId } = contextOf(w);
  if (brokerOrderId === null) throw new Error('the order never reached the broker');
  return partners.broker.getOrder(brokerOrderId);
}

const fill = (fillId: string, quantity: number, value: number) => ({ type: 'order.filled', fillId, quantity, price: EUR(value) });

test('a buy filled in two parts, one fill redelivered, is allocated and settled T+1: the buyer pays the exact notional to the broker', async () => {
  const buyer = await openAccount(uniqueId('buyer'), 5_000_000);
  const [buyerBefore, brokerBefore, customersBefore] = [await balance(buyer), await balance(BROKER), await customerTotal()];
  const id = await start(h, order(buyer));
  await untilState(h, id, { orderOpen: 'working' });
  await h.runtime.engine.signal(id, fill('F1', 40, 9_990), USER);
  await h.runtime.engine.signal(id, fill('F1', 40, 9_990), USER); // the feed redelivers: accepted, ignored
  await h.runtime.engine.signal(id, fill('F2', 60, 10_000), USER);
  const done = await h.until(id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'settled', orderId: expect.any(String), filledQuantity: 100, averagePrice: EUR(9_996) });

  const notional = 40 * 9_990 + 60 * 10_000;
  expect(await balance(buyer)).toBe(buyerBefore - notional);
  expect(await balance(BROKER)).toBe(brokerBefore + notional);
  expect(await customerTotal()).toBe(customersBefore);
  expect((await partners.bank.getTransfer(String(contextOf(done).transferId))).status).toBe('settled');
  const history = await h.history(id);
  expect(history.filter((r) => r.kind === 'event.emitted').map((r) => r.event)).toEqual([{ type: 'fill.duplicateIgnored', fillId: 'F1' }]);
  expect(history.find((r) => r.kind === 'effect.completed')?.data).toMatchObject({ name: 'allocateFills' });
  const broker = await brokerOrder(done);
  expect(broker).toMatchObject({ status: 'accepted', quantity: 100, clientOrderId: contextOf(done).orderId });
});

test('risk limits and an unknown account reject the order before the broker is called', async () => {
  const buyer = await openAccount(uniqueId('buyer'), 5_000_000);
  const brokerCalls = (await partners.admin.stats()).partners.broker.received;
  const tooMany = await start(h, order(buyer, { quantity: 1_001, limitPrice: EUR(1) }));
  const tooBig = await start(h, order(buyer, { quantity: 600, limitPrice: EUR(100_000) }));
  const tooPoor = await start(h, order(buyer, { quantity: 600 })); // 6 000 000 > 5 000 000 available
  const unknown = await start(h, order(`NOPE-${run}`));
  expect((await h.until(tooMany, ['completed'])).output).toMatchObject({ outcome: 'rejected', reason: 'max-quantity-exceeded' });
  expect((await h.until(tooBig, ['completed'])).output).toMatchObject({ outcome: 'rejected', reason: 'max-notional-exceeded' });
  expect((await h.until(tooPoor, ['completed'])).output).toMatchObject({ outcome: 'rejected', reason: 'insufficient-buying-power' });
  expect((await h.until(unknown, ['completed'])).output).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^account-check-refused: .*404/) });
  expect((await partners.admin.stats()).partners.broker.received).toBe(brokerCalls);
});

test('a broker reject ends the order rejected with the broker reason; nothing moves', async () => {
  const buyer = await openAccount(uniqueId('buyer'), 5_000_000);
  const id = uniqueId('wf');
  await partners.admin.script('broker', [
    { match: { method: 'POST', path: '/broker/orders', idempotencyKeyPrefix: id }, outcome: 'ok', body: { status: 'rejected', rejectReason: 'symbol-halted' } },
  ]);
  const customersBefore = await customerTotal();
  await h.runtime.engine.start({ type: 'trade-execution', workflowId: id, input: order(buyer) }, USER);
  const done = await h.until(id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'rejected', orderId: expect.any(String), filledQuantity: 0, reason: 'broker-rejected: symbol-halted' });
  expect(await balance(buyer)).toBe(5_000_000);
  expect(await customerTotal()).toBe(customersBefore);
});

test('a broker outage twice, then the order is placed once and completes', async () => {
  const buyer = await openAccount(uniqueId('buyer'), 5_000_000);
  const id = uniqueId('wf');
  await partners.admin.script('broker', [{ match: { method: 'POST', path: '/broker/orders', idempotencyKeyPrefix: id }, outcome: 'error', status: 503, times: 2 }]);
  await h.runtime.engine.start({ type: 'trade-execution', workflowId: id, input: order(buyer, { quantity: 10 }) }, USER);
  await untilState(h, id, { orderOpen: 'working' });
  await h.runtime.engine.signal(id, fill('X1', 10, 10_000), USER);
  const done = await h.until(id, ['completed', 'failed']);
  expect(done.output).toMatchObject({ outcome: 'settled', filledQuantity: 10 });
  const failures = (await h.history(id)).filter((r) => r.kind === 'activity.attempt.failed');
  expect(failures).toHaveLength(2);
  expect(failures.every((r) => r.idempotency_key === `${id}/placeOrder/1`)).toBe(true);
  expect(await balance(buyer)).toBe(5_000_000 - 100_000);
});

test('a client cancel after a partial fill of a sell cancels the rest at the broker and settles the filled part', async () => {
  const seller = await openAccount(uniqueId('seller'), 0);
  const brokerBefore = await balance(BROKER);
  const id = await start(h, order(seller, { side: 'sell' }));
  await untilState(h, id, { orderOpen: 'working' });
  await h.runtime.engine.signal(id, fill('S1', 30, 10_200), USER);
  const cancel = { type: 'order.cancelRequested', requestedBy: 'trader-7' };
  await h.runtime.engine.signal(id, cancel, USER);
  const done = await h.until(id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'cancelled', orderId: expect.any(String), filledQuantity: 30, averagePrice: EUR(10_200), reason: 'cancel requested by trader-7' });
  expect((await brokerOrder(done)).status).toBe('cancelled');
  expect(await balance(seller)).toBe(30 * 10_200);
  expect(await balance(BROKER)).toBe(brokerBefore - 30 * 10_200);
});

test('a platform cancel of a working order cancels it at the broker; nothing moves', async () => {
  const buyer = await openAccount(uniqueId('buyer'), 5_000_000);
  const customersBefore = await customerTotal();
  const id = await start(h, order(buyer));
  await untilState(h, id, { orderOpen: 'working' });
  await h.runtime.engine.cancel(id, USER, 'operator stop');
  const done = await h.until(id, ['cancelled', 'completed', 'failed']);
  expect(done.status).toBe('cancelled');
  expect(done.state).toBe('cancelled');
  expect(contextOf(done)).toMatchObject({ outcome: 'cancelled', cancelRequestedBy: 'platform', filledQuantity: 0 });
  expect((await brokerOrder(done)).status).toBe('cancelled');
  expect(await customerTotal()).toBe(customersBefore);
});

test('at the market close an unfilled order expires: the remainder is cancelled at the broker, nothing moves', async () => {
  const buyer = await openAccount(uniqueId('buyer'), 5_000_000);
  const customersBefore = await customerTotal();
  const id = await start(hClose, order(buyer));
  const done = await hClose.until(id, ['completed', 'failed']);
  expect(done.output).toEqual({ outcome: 'expired', orderId: expect.any(String), filledQuantity: 0, reason: 'market-closed' });
  expect((await brokerOrder(done)).status).toBe('cancelled');
  const kinds = (await hClose.history(id)).map((r) => r.kind);
  expect(kinds).toContain('timer.set');
  expect(await balance(buyer)).toBe(5_000_000);
  expect(await customerTotal()).toBe(customersBefore);
});

test('a settlement the bank refuses ends settlementFailed with the ledger untouched', async () => {
  const buyer = await openAccount(uniqueId('buyer'), 5_000_000);
  const id = uniqueId('wf');
  await partners.admin.script('bank', [
    { match: { method: 'POST', path: '/bank/transfers', idempotencyKeyPrefix: id }, outcome: 'error', status: 422, body: { title: 'Account frozen' } },
  ]);
  const [brokerBefore, customersBefore] = [await balance(BROKER), await customerTotal()];
  await h.runtime.engine.start({ type: 'trade-execution', workflowId: id, input: order(buyer, { quantity: 5 }) }, USER);
  await untilState(h, id, { orderOpen: 'working' });
  await h.runtime.engine.signal(id, fill('Z1', 5, 10_000), USER);
  const done = await h.until(id, ['completed', 'failed']);
  expect(done.output).toMatchObject({ outcome: 'settlement-failed', filledQuantity: 5, reason: expect.stringMatching(/^settlement-refused: .*422/) });
  expect((await h.history(id)).some((r) => r.kind === 'event.emitted' && r.event.type === 'trade.settlementFailed')).toBe(true);
  expect(await balance(buyer)).toBe(5_000_000);
  expect(await balance(BROKER)).toBe(brokerBefore);
  expect(await customerTotal()).toBe(customersBefore);
});
