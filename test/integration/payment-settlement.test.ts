import { query } from '../../src/engine/store/sql';
import { fraudCheckDefinition } from '../../machines/fraud-check';
import { paymentSettlementDefinition } from '../../machines/payment-settlement';
import type { PaymentSettlementContext, PaymentSettlementInput, PaymentSettlementOutput } from '../../machines/payment-settlement/payment-settlement.machine';
import type { EventObject } from 'xstate';
import type { WorkflowView } from '../../src/engine/store/instance';
import { SandboxClient, type LedgerTotals, type ScriptEntry } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { waitFor } from '../support/env';
import { startHarness, USER, type Harness } from '../support/harness';

const PLATFORM = { EUR: 'platform-eur', USD: 'platform-usd' };
const PLATFORM_FLOAT = 100_000_000;
const OPENING = 1_000_000;
const AMOUNT = { value: 50_000, currency: 'EUR' };

let sandbox: RunningSandbox;
let partners: SandboxClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5_000 });
  const fraudCheck = fraudCheckDefinition({ partners }, { lowThreshold: 40, highThreshold: 75, reviewSlaMs: 1_500 });
  const payment = paymentSettlementDefinition(
    { partners },
    { settlementAccounts: PLATFORM, settlementTimeoutMs: 1_000, maxQuoteAttempts: 3 },
    { fraudCheck: fraudCheck.machine },
  );
  h = await startHarness('payment-settlement', [fraudCheck, payment]);
  for (const [currency, id] of Object.entries(PLATFORM)) {
    await partners.bank.openAccount({ id, owner: 'statera', initialBalance: { value: PLATFORM_FLOAT, currency } }, { idempotencyKey: `open-${id}` });
  }
});
afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

/** Opens this payment's own debtor (EUR) and creditor accounts and returns its input. */
async function parties(paymentId: string, creditorCurrency = 'EUR'): Promise<PaymentSettlementInput> {
  const debtorAccount = `${paymentId}-debtor`;
  const creditorAccount = `${paymentId}-creditor`;
  await partners.bank.openAccount({ id: debtorAccount, initialBalance: { value: OPENING, currency: 'EUR' } }, { idempotencyKey: `open-${debtorAccount}` });
  await partners.bank.openAccount({ id: creditorAccount, initialBalance: { value: 0, currency: creditorCurrency } }, { idempotencyKey: `open-${creditorAccount}` });
  return { paymentId, debtorAccount, creditorAccount, amount: AMOUNT, creditorCurrency };
}

/** Scripted answers for this payment's calls only (its fraud child's keys start with its id too). */
async function script(partner: 'bank' | 'fx' | 'fraud', paymentId: string, entries: Omit<ScriptEntry, 'match'>[], path?: string): Promise<void> {
  await partners.admin.script(partner, entries.map((e) => ({ ...e, match: { idempotencyKeyPrefix: paymentId, ...(path ? { path } : {}) } })));
}
const fraudScore = (paymentId: string, score: number) => script('fraud', paymentId, [{ outcome: 'ok', body: { score } }], '/fraud/scores');

async function start(input: PaymentSettlementInput): Promise<string> {
  const { workflow } = await h.runtime.engine.start({ type: 'payment-settlement', workflowId: input.paymentId, input }, USER);
  return workflow.id;
}
type PaymentView = WorkflowView & { output: PaymentSettlementOutput; context: PaymentSettlementContext };

const inState = (id: string, state: string): Promise<PaymentView> =>
  waitFor(async () => {
    // A child workflow appears only once its parent reaches the invoking state.
    const w = await h.get(id).catch(() => undefined);
    return w?.state === state ? (w as PaymentView) : undefined;
  }, `${id} to reach ${state}`);
const ended = (id: string) => h.until(id, ['completed', 'failed', 'cancelled']) as Promise<PaymentView>;

/** The bank's callback for this payment's payout. */
async function confirmSettlement(id: string): Promise<void> {
  const waiting = await inState(id, 'awaitingSettlement');
  await h.runtime.engine.signal(id, { type: 'settlement.confirmed', reference: waiting.context.paymentId, transferId: waiting.context.transferId } as EventObject, USER);
}

async function balances(...ids: string[]): Promise<{ balance: number; held: number }[]> {
  return Promise.all(ids.map(async (id) => {
    const a = await partners.bank.getAccount(id);
    return { balance: a.balance.value, held: a.held.value };
  }));
}
/** The platform accounts are shared by every test: compare their balances with what they were before. */
async function platform(): Promise<{ EUR: number; USD: number }> {
  const [eur, usd] = await balances(PLATFORM.EUR, PLATFORM.USD);
  return { EUR: eur.balance, USD: usd.balance };
}
/** What must not change: every customer's money per currency, nothing left in clearing, every posting balanced. */
const conserved = (t: LedgerTotals) => ({
  balanced: t.balanced,
  currencies: Object.fromEntries(Object.entries(t.currencies).map(([c, v]) => [c, { total: v.total, customer: v.customer, clearing: v.clearing }])),
});

test('same currency: held, paid out, settled on the bank\'s callback, hold captured', async () => {
  const input = await parties('pay-happy');
  await fraudScore('pay-happy', 10);
  const before = conserved(await partners.bank.ledgerTotals());
  const float = await platform();
  const id = await start(input);
  await confirmSettlement(id);
  const done = await ended(id);
  expect(done.output).toEqual({ outcome: 'settled', paymentId: 'pay-happy', holdId: expect.any(String), transferId: expect.any(String) });
  expect(await balances(input.debtorAccount, input.creditorAccount)).toEqual([
    { balance: OPENING - 50_000, held: 0 },
    { balance: 50_000, held: 0 },
  ]);
  // Paid out of the platform account, then refilled by the captured hold.
  expect(await platform()).toEqual(float);
  expect((await partners.bank.getHold(done.output.holdId!)).status).toBe('captured');
  expect((await partners.bank.getTransfer(done.output.transferId!)).status).toBe('settled');
  expect(conserved(await partners.bank.ledgerTotals())).toEqual(before);
});

test('a settlement callback for another payment or another transfer is refused and changes nothing', async () => {
  const input = await parties('pay-misrouted');
  await fraudScore('pay-misrouted', 10);
  const id = await start(input);
  const waiting = await inState(id, 'awaitingSettlement');
  const { transferId } = waiting.context;
  for (const notice of [{ reference: 'pay-someone-else', transferId }, { reference: 'pay-misrouted', transferId: 'trf-not-ours' }]) {
    await expect(h.runtime.engine.signal(id, { type: 'settlement.confirmed', ...notice } as EventObject, USER)).rejects.toMatchObject({ code: 'event_not_accepted' });
  }
  expect((await h.get(id)).state).toBe('awaitingSettlement');
  // The reference alone is enough when the bank does not echo its transfer id.
  await h.runtime.engine.signal(id, { type: 'settlement.confirmed', reference: 'pay-misrouted' } as EventObject, USER);
  expect((await ended(id)).output).toMatchObject({ outcome: 'settled' });
});

test('different currencies: an expired quote is re-quoted; no callback, so the bank is asked after the timeout', async () => {
  const input = await parties('pay-fx', 'USD');
  await fraudScore('pay-fx', 10);
  await script('fx', 'pay-fx', [{ outcome: 'ok', body: { rate: 1.1 }, times: 2 }], '/fx/quotes');
  await script('fx', 'pay-fx', [{ outcome: 'error', status: 409, body: { type: 'urn:statera:sandbox:problem:quote-expired', title: 'FX quote has expired' } }], '/fx/quotes/:id/execute');
  const before = conserved(await partners.bank.ledgerTotals());
  const float = await platform();
  const id = await start(input);
  const done = await ended(id);
  expect(done.output).toMatchObject({ outcome: 'settled', fxRate: 1.1 });
  expect(done.context).toMatchObject({ quoteAttempts: 2, payout: { value: 55_000, currency: 'USD' } });
  expect(await balances(input.debtorAccount, input.creditorAccount)).toEqual([
    { balance: OPENING - 50_000, held: 0 },
    { balance: 55_000, held: 0 },
  ]);
  // The platform bought the creditor's dollars with the debtor's euros.
  expect(await platform()).toEqual({ EUR: float.EUR + 50_000, USD: float.USD - 55_000 });
  const kinds = (await h.history(id)).map((r) => r.kind);
  expect(kinds).toContain('timer.fired');
  expect(conserved(await partners.bank.ledgerTotals())).toEqual(before);
});

test('a settlement still pending when asked is waited for again', async () => {
  const input = await parties('pay-pending');
  await fraudScore('pay-pending', 10);
  await partners.admin.configure('bank', { settlementDelayMs: 60_000 });
  try {
    const id = await start(input);
    await waitFor(async () => (await h.history(id)).some((r) => r.kind === 'activity.completed' && r.event?.output?.status === 'pending'), 'a pending answer');
    await inState(id, 'awaitingSettlement');
    await partners.admin.advanceClock(60_000);
    const done = await ended(id);
    expect(done.output).toMatchObject({ outcome: 'settled' });
  } finally {
    await partners.admin.configure('bank', { settlementDelayMs: 0 });
  }
});

test('declined by the fraud rules: the hold is released and the payment rejected', async () => {
  const input = await parties('pay-fraud');
  await fraudScore('pay-fraud', 95);
  const done = await ended(await start(input));
  expect(done.output).toEqual({ outcome: 'rejected', paymentId: 'pay-fraud', holdId: expect.any(String), transferId: null, reason: 'declined by fraud screening (rules)' });
  expect((await partners.bank.getHold(done.output.holdId!)).status).toBe('released');
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: 0 }]);
});

test('the analyst review SLA lapsing in the fraud check rejects the payment and releases the hold', async () => {
  const input = await parties('pay-sla');
  await fraudScore('pay-sla', 50);
  const done = await ended(await start(input));
  expect(done.output).toMatchObject({ outcome: 'rejected', reason: 'declined by fraud screening (sla)' });
  expect(done.context.fraud).toEqual({ decision: 'declined', score: 50, decidedBy: 'sla' });
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: 0 }]);
});

test('cancelled during the analyst review: the child is cancelled and the hold released', async () => {
  const input = await parties('pay-cancel');
  await fraudScore('pay-cancel', 50);
  const id = await start(input);
  await inState(`${id}:fraudCheck:1`, 'awaitingReview');
  await h.runtime.engine.cancel(id, USER, 'customer withdrew the payment');
  const done = await ended(id);
  expect(done.status).toBe('cancelled');
  expect(done.state).toBe('cancelled');
  expect((await h.until(`${id}:fraudCheck:1`, ['cancelled', 'completed'])).status).toBe('cancelled');
  expect((await partners.bank.getHold(done.context.holdId!)).status).toBe('released');
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: 0 }]);
});

test('a cancel after the payout was submitted is refused: the payment settles and ends completed', async () => {
  const input = await parties('pay-late-cancel');
  await fraudScore('pay-late-cancel', 10);
  const id = await start(input);
  await inState(id, 'awaitingSettlement');
  // Refused with a 409 (the payout is in flight); the workflow goes on waiting.
  await expect(h.runtime.engine.cancel(id, USER, 'customer changed their mind')).rejects.toMatchObject({ code: 'cancellation_refused', message: 'the payout is already submitted' });
  expect((await h.get(id)).status).toBe('waiting');
  await confirmSettlement(id);
  const done = await ended(id);
  expect(done.status).toBe('completed');
  expect(done.output).toMatchObject({ outcome: 'settled' });
  const emitted = (await h.history(id)).filter((r) => r.kind === 'event.emitted').map((r) => r.event.type);
  expect(emitted).toEqual(['cancellation.refused']);
  expect(await balances(input.debtorAccount, input.creditorAccount)).toEqual([
    { balance: OPENING - 50_000, held: 0 },
    { balance: 50_000, held: 0 },
  ]);
});

test('a capture refused after settlement reverses the payout and releases the hold: money back where it was', async () => {
  const input = await parties('pay-reverse');
  await fraudScore('pay-reverse', 10);
  await script('bank', 'pay-reverse', [{ outcome: 'error', status: 422 }], '/bank/holds/:id/capture');
  const before = conserved(await partners.bank.ledgerTotals());
  const float = await platform();
  const id = await start(input);
  await confirmSettlement(id);
  const done = await ended(id);
  expect(done.state).toBe('failed');
  expect(done.output).toMatchObject({ outcome: 'failed', reason: 'hold could not be captured' });
  expect((await partners.bank.getTransfer(done.output.transferId!)).status).toBe('reversed');
  expect((await partners.bank.getHold(done.output.holdId!)).status).toBe('released');
  expect(await balances(input.debtorAccount, input.creditorAccount)).toEqual([
    { balance: OPENING, held: 0 },
    { balance: 0, held: 0 },
  ]);
  expect(await platform()).toEqual(float);
  expect(conserved(await partners.bank.ledgerTotals())).toEqual(before);
});

test('a transfer that fails at the bank is found on asking: the hold is released, the payout came back', async () => {
  const input = await parties('pay-returned');
  await fraudScore('pay-returned', 10);
  await script('bank', 'pay-returned', [{ outcome: 'ok', body: { settlement: 'failed', failureReason: 'beneficiary-account-closed' } }], '/bank/transfers');
  const float = await platform();
  const done = await ended(await start(input));
  expect(done.output).toMatchObject({ outcome: 'failed', reason: 'settlement failed: beneficiary-account-closed' });
  expect(await balances(input.debtorAccount, input.creditorAccount)).toEqual([
    { balance: OPENING, held: 0 },
    { balance: 0, held: 0 },
  ]);
  expect(await platform()).toEqual(float);
});

test('a transfer refused by the bank releases the hold', async () => {
  const input = await parties('pay-refused');
  await fraudScore('pay-refused', 10);
  await script('bank', 'pay-refused', [{ outcome: 'error', status: 422 }], '/bank/transfers');
  const done = await ended(await start(input));
  expect(done.output).toMatchObject({ outcome: 'failed', transferId: null, reason: 'transfer refused by the bank' });
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: 0 }]);
});

test('a bank outage while placing the hold is retried with the same key: one hold, money moved once', async () => {
  const input = await parties('pay-flaky');
  await fraudScore('pay-flaky', 10);
  await script('bank', 'pay-flaky', [{ outcome: 'error', status: 503, times: 2 }], '/bank/holds');
  const id = await start(input);
  await confirmSettlement(id);
  const done = await ended(id);
  expect(done.output).toMatchObject({ outcome: 'settled' });
  const failures = (await h.history(id)).filter((r) => r.kind === 'activity.attempt.failed');
  expect(failures.map((r) => r.idempotency_key)).toEqual(['pay-flaky/reserveFunds/1', 'pay-flaky/reserveFunds/1']);
  expect(await balances(input.debtorAccount, input.creditorAccount)).toEqual([
    { balance: OPENING - 50_000, held: 0 },
    { balance: 50_000, held: 0 },
  ]);
});

test('an unknown creditor account fails validation before anything is held', async () => {
  const input = { ...(await parties('pay-invalid')), creditorAccount: 'nobody' };
  const done = await ended(await start(input));
  expect(done.output).toEqual({ outcome: 'failed', paymentId: 'pay-invalid', holdId: null, transferId: null, reason: 'creditor account nobody does not exist' });
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: 0 }]);
});

test('the example input passes the input schema and starts; on a fresh sandbox its accounts do not exist, so validation fails it', async () => {
  const definition = h.runtime.engine.registry.get('payment-settlement');
  const { workflow } = await h.runtime.engine.start({ type: 'payment-settlement', workflowId: 'pay-example', input: definition.exampleInput }, USER);
  const done = await ended(workflow.id);
  expect(done.output).toMatchObject({ outcome: 'failed', holdId: null, reason: 'debtor account acme-gmbh-eur does not exist' });
});

test('a hold that cannot be released is an incident, not a failed payment: the hold stays, and a retry once the bank is well releases it', async () => {
  const input = await parties('pay-stuck-hold');
  await fraudScore('pay-stuck-hold', 95);
  // The bank refuses the release (a 4xx is not retried) and the compensation has no onError.
  await script('bank', 'pay-stuck-hold', [{ outcome: 'error', status: 422 }], '/bank/holds/*/release');
  await start(input);
  const incident = await waitFor(async () => (await query(h.db.dataSource, `SELECT * FROM incident WHERE workflow_id = 'pay-stuck-hold'`))[0], 'the incident');
  expect(incident).toMatchObject({ kind: 'activity_exhausted', status: 'open' });
  const stuck = await h.get('pay-stuck-hold');
  expect(stuck.status).not.toBe('failed');
  expect(stuck.state).toBe('releasingHold');
  // The customer's money is still held, visibly, for an operator.
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: AMOUNT.value }]);

  await h.runtime.operations.retry('default', incident.id, { actor: { actor: 'principal:ops-1' }, reason: 'the bank fixed its release endpoint' });
  const done = await ended('pay-stuck-hold');
  expect(done.status).toBe('completed');
  expect(done.output).toMatchObject({ outcome: 'rejected', reason: 'declined by fraud screening (rules)' });
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: 0 }]);
});

test('a hold placed though its answer was lost, then refused on the retry, is found and released: no hold leaks', async () => {
  const input = await parties('pay-lost-hold');
  await script('bank', 'pay-lost-hold', [{ outcome: 'timeout', applied: true, hangMs: 6_000 }, { outcome: 'error', status: 422 }], '/bank/holds');
  const done = await ended(await start(input));
  expect(done.output).toMatchObject({ outcome: 'failed', reason: 'funds could not be reserved', holdId: expect.any(String) });
  expect((await partners.bank.getHold(done.output.holdId!)).status).toBe('released');
  expect(await balances(input.debtorAccount)).toEqual([{ balance: OPENING, held: 0 }]);
  // The bank was asked by the payment's own id, and the hold found.
  expect((await h.history('pay-lost-hold')).some((r) => r.event?.type === 'xstate.done.actor.findHold' && r.event.output.holdId === done.output.holdId)).toBe(true);
}, 60_000);

test('a payout taken though its answer was lost, then refused on the retry, is found and settles: paid once', async () => {
  const input = await parties('pay-lost-payout');
  await fraudScore('pay-lost-payout', 10);
  await script('bank', 'pay-lost-payout', [{ outcome: 'timeout', applied: true, hangMs: 6_000 }, { outcome: 'error', status: 422 }], '/bank/transfers');
  const done = await ended(await start(input));
  expect(done.output).toMatchObject({ outcome: 'settled', transferId: expect.any(String) });
  expect(await balances(input.debtorAccount, input.creditorAccount)).toEqual([
    { balance: OPENING - AMOUNT.value, held: 0 },
    { balance: AMOUNT.value, held: 0 },
  ]);
}, 60_000);
