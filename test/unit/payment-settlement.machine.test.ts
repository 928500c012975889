import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { createFraudCheckMachine, defaultFraudCheckConfig, type FraudCheckOutput } from '../../machines/fraud-check/fraud-check.machine';
import {
  createPaymentSettlementMachine,
  type ExecuteQuoteOutput,
  type FraudScreeningResult,
  type PaymentSettlementConfig,
  type PaymentSettlementInput,
} from '../../machines/payment-settlement/payment-settlement.machine';
import { timerEvents } from '../model/support/scenario';

const config: PaymentSettlementConfig = {
  settlementAccounts: { EUR: 'platform-eur', USD: 'platform-usd' },
  settlementTimeoutMs: 900_000,
  maxQuoteAttempts: 2,
};
const machine = createPaymentSettlementMachine(config, { fraudCheck: createFraudCheckMachine(defaultFraudCheckConfig) });
type Snapshot = AnyMachineSnapshot;

const sameCurrency: PaymentSettlementInput = {
  paymentId: 'PAY-1',
  debtorAccount: 'debtor-eur',
  creditorAccount: 'creditor-eur',
  amount: { value: 50_000, currency: 'EUR' },
  creditorCurrency: 'EUR',
};
const crossCurrency: PaymentSettlementInput = { ...sameCurrency, creditorAccount: 'creditor-usd', creditorCurrency: 'USD' };

// Typed as the child's own output: this fails to compile if the payment's view of it drifts.
const approved: FraudCheckOutput = { decision: 'approved', score: 12, decidedBy: 'rules' };
const declined: FraudScreeningResult = { decision: 'declined', score: 91, decidedBy: 'rules' };
const executed: ExecuteQuoteOutput = { status: 'executed', rate: 1.0870, bought: { value: 54_350, currency: 'USD' } };
const expired: ExecuteQuoteOutput = { status: 'expired' };

const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as EventObject;
const failed = (id: string) => ({ type: `xstate.error.actor.${id}`, error: { name: 'PartnerRejectedError', message: 'refused' } }) as EventObject;
const cancel = { type: 'cancellation.requested' } as EventObject;

function start(input: PaymentSettlementInput = sameCurrency): Snapshot {
  return initialTransition(machine, input)[0] as Snapshot;
}
function step(snapshot: Snapshot, event: EventObject) {
  const [next, actions] = transition(machine, snapshot as never, event as never);
  return { next: next as Snapshot, actions };
}
function run(snapshot: Snapshot, ...events: EventObject[]): Snapshot {
  return events.reduce((s, e) => step(s, e).next, snapshot);
}
function timer(snapshot: Snapshot, delay: string): EventObject {
  const found = timerEvents(snapshot).find((e) => e.type.startsWith(`xstate.after.${delay}.`));
  if (!found) throw new Error(`no ${delay} timer in ${JSON.stringify(snapshot.value)}`);
  return found;
}

const held = [done('validatePayment', { valid: true, reason: null }), done('reserveFunds', { holdId: 'hold-1' })];
const submitted = [...held, done('fraudCheck', approved), done('submitTransfer', { transferId: 'trf-1' })];

test('same currency: validated, held, screened, paid out, settled on the callback, captured', () => {
  const s0 = start();
  expect(s0.value).toBe('validating');
  expect(s0.context).toMatchObject({ collectionAccount: 'platform-eur', payoutAccount: 'platform-eur' });
  const screening = run(s0, ...held);
  expect(screening.value).toBe('screening');
  const { next: submitting, actions } = step(screening, done('fraudCheck', approved));
  expect(submitting.value).toBe('submitting');
  expect(actions).toContainEqual(expect.objectContaining({
    type: 'xstate.spawnChild',
    params: expect.objectContaining({ id: 'submitTransfer', input: { from: 'platform-eur', to: 'creditor-eur', amount: sameCurrency.amount, reference: 'PAY-1' } }),
  }));
  const waiting = run(submitting, done('submitTransfer', { transferId: 'trf-1' }));
  expect(waiting.value).toBe('awaitingSettlement');
  const { next: capturing, actions: captureActions } = step(waiting, { type: 'settlement.confirmed', reference: 'PAY-1', transferId: 'trf-1' } as EventObject);
  expect(capturing.value).toBe('capturing');
  expect(captureActions).toContainEqual(expect.objectContaining({ params: expect.objectContaining({ id: 'captureHold', input: { holdId: 'hold-1', toAccountId: 'platform-eur' } }) }));
  const settled = run(capturing, done('captureHold', { captured: sameCurrency.amount }));
  expect(settled.status).toBe('done');
  expect(settled.output).toEqual({ outcome: 'settled', paymentId: 'PAY-1', holdId: 'hold-1', transferId: 'trf-1' });
});

test('an invalid payment fails before any money is held', () => {
  const s = run(start(), done('validatePayment', { valid: false, reason: 'creditor account creditor-eur does not exist' }));
  expect(s.value).toBe('failed');
  expect(s.output).toEqual({ outcome: 'failed', paymentId: 'PAY-1', holdId: null, transferId: null, reason: 'creditor account creditor-eur does not exist' });
});

test('a validation that cannot complete fails the workflow: nothing is held yet', () => {
  expect(run(start(), failed('validatePayment')).status).toBe('error');
});

const noHold = done('findHold', { holdId: null });
const noTransfer = done('findTransfer', { transferId: null });

test('a refused reservation asks the bank for a hold of the payment first: none, so it fails with nothing to compensate', () => {
  const finding = run(start(), held[0], failed('reserveFunds'));
  expect(finding.value).toBe('findingHold');
  const s = run(finding, noHold);
  expect(s.value).toBe('failed');
  expect(s.output).toMatchObject({ outcome: 'failed', holdId: null, reason: 'funds could not be reserved' });
});

test('a hold placed though its answer was lost is found and released: no hold leaks', () => {
  const finding = run(start(), held[0], failed('reserveFunds'));
  const releasing = run(finding, done('findHold', { holdId: 'hold-lost' }));
  expect(releasing.value).toBe('releasingHold');
  expect(releasing.context.holdId).toBe('hold-lost');
  expect(run(releasing, done('releaseHold', { status: 'released' })).output).toMatchObject({ outcome: 'failed', holdId: 'hold-lost' });
});

test('a payout taken though its answer was lost is found and settles like any other', () => {
  const finding = run(start(), ...held, done('fraudCheck', approved), failed('submitTransfer'));
  expect(finding.value).toBe('findingTransfer');
  const waiting = run(finding, done('findTransfer', { transferId: 'trf-lost' }));
  expect(waiting.value).toBe('awaitingSettlement');
  expect(waiting.context).toMatchObject({ transferId: 'trf-lost', outcome: null });
});

test('declined by fraud screening: the hold is released and the payment rejected', () => {
  const releasing = run(start(), ...held, done('fraudCheck', declined));
  expect(releasing.value).toBe('releasingHold');
  expect(releasing.context.fraud).toEqual(declined);
  const s = run(releasing, done('releaseHold', { status: 'released' }));
  expect(s.value).toBe('rejected');
  expect(s.output).toEqual({ outcome: 'rejected', paymentId: 'PAY-1', holdId: 'hold-1', transferId: null, reason: 'declined by fraud screening (rules)' });
});

test('a failed fraud check releases the hold and fails the payment', () => {
  const s = run(start(), ...held, failed('fraudCheck'), done('releaseHold', { status: 'released' }));
  expect(s.value).toBe('failed');
  expect(s.output).toMatchObject({ outcome: 'failed', reason: 'fraud screening failed' });
});

test('different currencies: an expired quote is re-quoted, the executed rate sets the payout', () => {
  const quoting = run(start(crossCurrency), ...held, done('fraudCheck', approved));
  expect(quoting.value).toBe('quotingFx');
  const quote = { quoteId: 'fxq-1', rate: 1.087, converted: { value: 54_350, currency: 'USD' } };
  const requoting = run(quoting, done('requestQuote', quote), done('executeQuote', expired));
  expect(requoting.value).toBe('quotingFx');
  expect(requoting.context.quoteAttempts).toBe(1);
  const submitting = run(requoting, done('requestQuote', { ...quote, quoteId: 'fxq-2' }), done('executeQuote', executed));
  expect(submitting.value).toBe('submitting');
  expect(submitting.context).toMatchObject({ quoteId: 'fxq-2', quoteAttempts: 2, fxRate: 1.087, payout: { value: 54_350, currency: 'USD' } });
  const settled = run(submitting, done('submitTransfer', { transferId: 'trf-9' }), { type: 'settlement.confirmed', reference: 'PAY-1' } as EventObject, done('captureHold', {}));
  expect(settled.output).toEqual({ outcome: 'settled', paymentId: 'PAY-1', holdId: 'hold-1', transferId: 'trf-9', fxRate: 1.087 });
});

test('quotes that keep expiring stop at maxQuoteAttempts: the hold is released', () => {
  const quote = done('requestQuote', { quoteId: 'fxq', rate: 1.1, converted: { value: 55_000, currency: 'USD' } });
  const s = run(start(crossCurrency), ...held, done('fraudCheck', approved), quote, done('executeQuote', expired), quote, done('executeQuote', expired));
  expect(s.value).toBe('releasingHold');
  const end = run(s, done('releaseHold', { status: 'released' }));
  expect(end.output).toMatchObject({ outcome: 'failed', reason: 'FX quotes kept expiring' });
});

test('an FX execution is left only on its answer: no timer in executingFx, and a cancel waits for the answer', () => {
  const quote = done('requestQuote', { quoteId: 'fxq', rate: 1.1, converted: { value: 55_000, currency: 'USD' } });
  const executing = run(start(crossCurrency), ...held, done('fraudCheck', approved), quote);
  expect(executing.value).toBe('executingFx');
  expect(Object.keys(executing.children)).toEqual(['executeQuote']);
  // Nothing but the execution's own answer moves it on: no delayed event is scheduled here.
  expect(machine.getStateNodeById('payment-settlement.executingFx').after).toEqual([]);
  const cancelling = run(executing, cancel);
  expect(cancelling.value).toBe('executingFx');
  // The deal was made meanwhile: it is unwound before the hold is released.
  const unwinding = run(cancelling, done('executeQuote', executed));
  expect(unwinding.value).toBe('unwindingFx');
  expect(unwinding.context).toMatchObject({ fxRate: 1.087 });
  const releasing = run(unwinding, done('reverseFxDeal', { reversedAt: '2026-12-02T00:00:00Z' }));
  expect(releasing.value).toBe('releasingHold');
  expect(run(releasing, done('releaseHold', { status: 'released' })).output).toMatchObject({ outcome: 'cancelled' });
  // No deal (the quote had expired): straight to the hold.
  expect(run(cancelling, done('executeQuote', expired)).value).toBe('releasingHold');
});

test('a payment that fails after its FX deal was made unwinds the deal before releasing the hold', () => {
  const quote = done('requestQuote', { quoteId: 'fxq', rate: 1.1, converted: { value: 55_000, currency: 'USD' } });
  const submitting = run(start(crossCurrency), ...held, done('fraudCheck', approved), quote, done('executeQuote', executed));
  expect(submitting.value).toBe('submitting');
  const unwinding = run(submitting, failed('submitTransfer'), noTransfer);
  expect(unwinding.value).toBe('unwindingFx');
  expect(run(unwinding, done('reverseFxDeal', { reversedAt: 'x' })).value).toBe('releasingHold');
  // Same currency: no deal, nothing to unwind.
  expect(run(start(), ...held, done('fraudCheck', approved), failed('submitTransfer'), noTransfer).value).toBe('releasingHold');
});

test('a settlement callback for another payment or another transfer is not accepted; the reference alone is', () => {
  const waiting = run(start(), ...submitted);
  const others: EventObject[] = [
    { type: 'settlement.confirmed', reference: 'PAY-2', transferId: 'trf-1' },
    { type: 'settlement.confirmed', reference: 'PAY-1', transferId: 'trf-other' },
    { type: 'settlement.failed', reference: 'PAY-2', reason: 'closed' },
  ] as never;
  for (const other of others) {
    expect(waiting.can(other)).toBe(false);
    expect(step(waiting, other).next).toBe(waiting);
  }
  expect(run(waiting, { type: 'settlement.confirmed', reference: 'PAY-1' } as EventObject).value).toBe('capturing');
});

test('settlement.failed releases the hold and fails the payment (the bank returned the payout itself)', () => {
  const s = run(start(), ...submitted, { type: 'settlement.failed', reference: 'PAY-1', transferId: 'trf-1', reason: 'beneficiary account closed' } as EventObject);
  expect(s.value).toBe('releasingHold');
  const end = run(s, done('releaseHold', { status: 'released' }));
  expect(end.output).toMatchObject({ outcome: 'failed', transferId: 'trf-1', reason: 'settlement failed: beneficiary account closed' });
});

test('no callback within settlementTimeout: the bank is asked; pending waits again, settled captures, failed releases', () => {
  const waiting = run(start(), ...submitted);
  const { actions } = step(run(start(), ...held, done('fraudCheck', approved)), done('submitTransfer', { transferId: 'trf-1' }));
  expect(actions).toContainEqual(expect.objectContaining({ type: 'xstate.raise', params: expect.objectContaining({ delay: 900_000 }) }));
  const querying = run(waiting, timer(waiting, 'settlementTimeout'));
  expect(querying.value).toBe('queryingSettlement');
  expect(run(querying, done('querySettlement', { status: 'pending', failureReason: null })).value).toBe('awaitingSettlement');
  expect(run(querying, failed('querySettlement')).value).toBe('awaitingSettlement');
  expect(run(querying, done('querySettlement', { status: 'settled', failureReason: null })).value).toBe('capturing');
  const failedSettlement = run(querying, done('querySettlement', { status: 'failed', failureReason: 'beneficiary-bank-rejected' }));
  expect(failedSettlement.value).toBe('releasingHold');
  expect(failedSettlement.context.reason).toBe('settlement failed: beneficiary-bank-rejected');
});

test('a refused transfer releases the hold', () => {
  const s = run(start(), ...held, done('fraudCheck', approved), failed('submitTransfer'), noTransfer);
  expect(s.value).toBe('releasingHold');
  expect(run(s, done('releaseHold', { status: 'released' })).output).toMatchObject({ outcome: 'failed', transferId: null, reason: 'transfer refused by the bank' });
});

test('a capture that fails after settlement reverses the payout, then releases the hold', () => {
  const reversing = run(start(), ...submitted, { type: 'settlement.confirmed', reference: 'PAY-1', transferId: 'trf-1' } as EventObject, failed('captureHold'));
  expect(reversing.value).toBe('reversingTransfer');
  const releasing = run(reversing, done('reverseTransfer', { status: 'reversed' }));
  expect(releasing.value).toBe('releasingHold');
  const end = run(releasing, done('releaseHold', { status: 'released' }));
  expect(end.output).toEqual({ outcome: 'failed', paymentId: 'PAY-1', holdId: 'hold-1', transferId: 'trf-1', reason: 'hold could not be captured' });
});

test('a failing compensation is not swallowed: the workflow errors for an operator', () => {
  const s = run(start(), ...held, done('fraudCheck', declined), failed('releaseHold'));
  expect(s.status).toBe('error');
});

describe('cancellation', () => {
  test('while validating: nothing is held, cancelled at once', () => {
    const s = run(start(), cancel);
    expect(s.value).toBe('cancelled');
    expect(s.output).toMatchObject({ outcome: 'cancelled', holdId: null });
  });

  test('while the hold is being placed: waits for it, then releases it', () => {
    const reserving = run(start(), held[0], cancel);
    expect(reserving.value).toBe('reserving');
    const releasing = run(reserving, held[1]);
    expect(releasing.value).toBe('releasingHold');
    expect(releasing.context.holdId).toBe('hold-1');
    expect(run(releasing, done('releaseHold', { status: 'released' })).output).toMatchObject({ outcome: 'cancelled', holdId: 'hold-1' });
    expect(run(reserving, failed('reserveFunds'), noHold).value).toBe('cancelled');
  });

  test.each([
    ['screening', [...held]],
    ['quotingFx', [...held, done('fraudCheck', approved)]],
  ])('while %s: the hold is released and the payment cancelled', (state, events) => {
    const s = run(start(crossCurrency), ...events);
    expect(s.value).toBe(state);
    const end = run(s, cancel, done('releaseHold', { status: 'released' }));
    expect(end.value).toBe('cancelled');
    expect(end.output).toMatchObject({ outcome: 'cancelled', holdId: 'hold-1', reason: 'cancelled before submission' });
  });

  test.each([
    ['submitting', [...held, done('fraudCheck', approved)]],
    ['awaitingSettlement', submitted],
    ['queryingSettlement', [...submitted, { type: 'xstate.after.settlementTimeout.payment-settlement.awaitingSettlement' } as EventObject]],
    ['capturing', [...submitted, { type: 'settlement.confirmed', reference: 'PAY-1', transferId: 'trf-1' } as EventObject]],
    ['releasingHold', [...held, done('fraudCheck', declined)]],
  ])('once the payout is submitted, or a compensation runs (%s), it is refused: nothing changes but the record', (state, events) => {
    const s = run(start(), ...events);
    expect(s.value).toBe(state);
    const { next, actions } = step(s, cancel);
    expect(next.value).toBe(state);
    expect(next.context).toEqual(s.context);
    expect(actions).toEqual([expect.objectContaining({ type: 'xstate.emit', params: { event: { type: 'cancellation.refused', reason: 'the payout is already submitted' } } })]);
  });

  test('only the cancelled ending carries the tag the engine reads after a cancellation request', () => {
    const settled = run(start(), ...submitted, cancel, { type: 'settlement.confirmed', reference: 'PAY-1' } as EventObject, done('captureHold', {}));
    expect(settled.value).toBe('settled');
    expect(settled.hasTag('cancelled')).toBe(false);
    expect(run(start(), cancel).hasTag('cancelled')).toBe(true);
  });
});

test('the platform accounts come from the configuration; a currency without one is left for validation to refuse', () => {
  expect(start(crossCurrency).context).toMatchObject({ collectionAccount: 'platform-eur', payoutAccount: 'platform-usd' });
  expect(start({ ...crossCurrency, creditorCurrency: 'JPY' }).context).toMatchObject({ payoutAccount: null });
  const [, initial] = initialTransition(machine, { ...crossCurrency, creditorCurrency: 'JPY' });
  expect(initial).toContainEqual(expect.objectContaining({ params: expect.objectContaining({ id: 'validatePayment', input: expect.objectContaining({ payoutAccount: null }) }) }));
});
