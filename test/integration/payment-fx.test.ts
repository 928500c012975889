import { fraudCheckDefinition } from '../../machines/fraud-check';
import { paymentSettlementDefinition } from '../../machines/payment-settlement';
import type { PaymentSettlementInput } from '../../machines/payment-settlement/payment-settlement.machine';
import { SandboxClient, type ScriptEntry } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startHarness, USER, type Harness } from '../support/harness';

// The payment's FX step when the partner's answer to an execution is lost. The quote's validity
// is shorter than a hung call here, as with the defaults a killed worker's lock is longer than
// the validity: the outcome of the first execution is still unknown when the quote expires.

const PLATFORM = { EUR: 'fx-platform-eur', USD: 'fx-platform-usd' };
const OPENING = 1_000_000;

let sandbox: RunningSandbox;
let partners: SandboxClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  // A hung call is given up on after 1.5 s: longer than the quote's validity (0.8 s).
  partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 1_500 });
  const fraudCheck = fraudCheckDefinition({ partners }, { lowThreshold: 40, highThreshold: 75, reviewSlaMs: 60_000 });
  const payment = paymentSettlementDefinition(
    { partners },
    { settlementAccounts: PLATFORM, settlementTimeoutMs: 500, maxQuoteAttempts: 3 },
    { fraudCheck: fraudCheck.machine },
  );
  h = await startHarness('payment_fx', [fraudCheck, payment]);
  for (const [currency, id] of Object.entries(PLATFORM)) {
    await partners.bank.openAccount({ id, owner: 'statera', initialBalance: { value: 100_000_000, currency } }, { idempotencyKey: `open-${id}` });
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

async function payment(paymentId: string): Promise<PaymentSettlementInput> {
  const debtorAccount = `${paymentId}-debtor`;
  const creditorAccount = `${paymentId}-creditor`;
  await partners.bank.openAccount({ id: debtorAccount, initialBalance: { value: OPENING, currency: 'EUR' } }, { idempotencyKey: `open-${debtorAccount}` });
  await partners.bank.openAccount({ id: creditorAccount, initialBalance: { value: 0, currency: 'USD' } }, { idempotencyKey: `open-${creditorAccount}` });
  await partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: paymentId, path: '/fraud/scores' }, outcome: 'ok', body: { score: 10 } }]);
  return { paymentId, debtorAccount, creditorAccount, amount: { value: 50_000, currency: 'EUR' }, creditorCurrency: 'USD' };
}

async function scriptExecute(paymentId: string, entries: Omit<ScriptEntry, 'match'>[]): Promise<void> {
  await partners.admin.script('fx', entries.map((e) => ({ ...e, match: { idempotencyKeyPrefix: paymentId, path: '/fx/quotes/:id/execute' } })));
}

/** Every quote the payment asked for, as the FX partner knows it now. */
async function quotesOf(paymentId: string): Promise<{ id: string; status: string }[]> {
  const history = await h.history(paymentId);
  const ids = history.filter((r) => r.kind === 'activity.completed' && r.event?.type === 'xstate.done.actor.requestQuote').map((r) => r.event.output.quoteId as string);
  return Promise.all(ids.map(async (id) => ({ id, status: (await partners.fx.getQuote(id)).status })));
}

async function settle(paymentId: string): Promise<any> {
  return h.until(paymentId, ['completed', 'failed', 'cancelled'], 60_000);
}

test('an execution whose answer is lost is not followed by a second one: one deal, and the payment settles with it', async () => {
  const input = await payment('fx-lost');
  // Applied, then the answer never comes (the call hangs past the client's timeout).
  await scriptExecute('fx-lost', [{ outcome: 'timeout', applied: true, hangMs: 3_000 }]);
  await h.runtime.engine.start({ type: 'payment-settlement', workflowId: 'fx-lost', input }, USER);
  const done = await settle('fx-lost');
  const quotes = await quotesOf('fx-lost');
  expect(quotes.filter((q) => q.status === 'executed')).toHaveLength(1);
  expect(done.output).toMatchObject({ outcome: 'settled' });
  expect((await partners.bank.getAccount(input.creditorAccount)).balance.value).toBe(done.context.payout.value);
}, 90_000);

test('a lost answer followed by 503s is not reported as a refusal: the deal is found and the payment settles', async () => {
  const input = await payment('fx-lost-503');
  await scriptExecute('fx-lost-503', [{ outcome: 'timeout', applied: true, hangMs: 2_000 }, { outcome: 'error', status: 503, times: 2 }]);
  await h.runtime.engine.start({ type: 'payment-settlement', workflowId: 'fx-lost-503', input }, USER);
  const done = await settle('fx-lost-503');
  const quotes = await quotesOf('fx-lost-503');
  expect(quotes.filter((q) => q.status === 'executed')).toHaveLength(1);
  expect(done.output).toMatchObject({ outcome: 'settled' });
}, 90_000);
