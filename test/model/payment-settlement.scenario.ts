import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { fraudCheckDefinition } from '../../machines/fraud-check';
import { paymentSettlementDefinition } from '../../machines/payment-settlement';
import type { PaymentSettlementContext, PaymentSettlementInput } from '../../machines/payment-settlement/payment-settlement.machine';
import type { SandboxClient, ScriptEntry } from '../../src/sandbox/client';
import { doneEvent, errorEvent, timerEvents, type ArrangeContext, type ModelScenario } from './support/scenario';

const HOUR = 3_600_000;
const EUR = (value: number) => ({ value, currency: 'EUR' });
const USD = (value: number) => ({ value, currency: 'USD' });

const PLATFORM = { EUR: 'model-platform-eur', USD: 'model-platform-usd' };
const DEBTOR = 'model-debtor-eur';
const CREDITOR = {
  EUR: 'model-creditor-eur',
  USD: 'model-creditor-usd',
  returned: 'model-creditor-returned',
  returnedUsd: 'model-creditor-returned-usd',
  missing: 'model-creditor-missing',
};
/** The beneficiaries whose bank returns the payout. */
const RETURNING = new Set([CREDITOR.returned, CREDITOR.returnedUsd]);
const AMOUNT = EUR(50_000);
const RATE = 1.1;

const payment = (paymentId: string, creditorAccount: string, creditorCurrency: string): PaymentSettlementInput => ({
  paymentId, debtorAccount: DEBTOR, creditorAccount, amount: AMOUNT, creditorCurrency,
});

/**
 * What the sandbox can only decide per input, not per step: a payout the beneficiary's bank
 * returns (the transfer is created failing, so asking the bank finds it failed), and a
 * creditor account that does not exist (validation refuses).
 */
const INPUTS = {
  same: payment('PAY-MODEL-SAME', CREDITOR.EUR, 'EUR'),
  fx: payment('PAY-MODEL-FX', CREDITOR.USD, 'USD'),
  returned: payment('PAY-MODEL-RETURNED', CREDITOR.returned, 'EUR'),
  // Returned after an FX deal was made: the deal is unwound before the hold is released.
  fxReturned: payment('PAY-MODEL-FX-RETURNED', CREDITOR.returnedUsd, 'USD'),
  invalid: payment('PAY-MODEL-INVALID', CREDITOR.missing, 'EUR'),
};

const refused = { name: 'PartnerRejectedError', message: 'the partner refused the request (422)' };
const cancel: EventObject = { type: 'cancellation.requested' };
const notice = (type: string, c: PaymentSettlementContext, extra: Record<string, unknown> = {}) => ({ type, reference: c.paymentId, ...extra }) as EventObject;

/** The fraud scores the child turns into these decisions with the default thresholds (40/75). */
const FRAUD = {
  approved: { decision: 'approved', score: 10, decidedBy: 'rules' },
  declined: { decision: 'declined', score: 95, decidedBy: 'rules' },
} as const;

function events(s: AnyMachineSnapshot): EventObject[] {
  const c = s.context as PaymentSettlementContext;
  const returned = RETURNING.has(c.creditorAccount);
  const cancellable = c.outcome === 'cancelled' ? [] : [cancel];
  switch (s.value) {
    case 'validating':
      return [
        c.creditorAccount === CREDITOR.missing
          ? doneEvent('validatePayment', { valid: false, reason: `creditor account ${CREDITOR.missing} does not exist` })
          : doneEvent('validatePayment', { valid: true, reason: null }),
        cancel,
      ];
    case 'reserving':
      return [doneEvent('reserveFunds', { holdId: 'hold-model' }), errorEvent('reserveFunds', refused), ...cancellable];
    case 'findingHold':
      // None (a plain refusal), or the one the bank placed though its answer was lost.
      return [doneEvent('findHold', { holdId: null }), doneEvent('findHold', { holdId: 'hold-model' }), ...cancellable];
    case 'findingTransfer':
      return [doneEvent('findTransfer', { transferId: null }), ...(returned ? [] : [doneEvent('findTransfer', { transferId: 'trf-model' })])];
    case 'screening':
      return [doneEvent('fraudCheck', FRAUD.approved), doneEvent('fraudCheck', FRAUD.declined), errorEvent('fraudCheck', refused), cancel];
    case 'quotingFx':
      return [doneEvent('requestQuote', { quoteId: 'fxq-model', rate: RATE, converted: USD(55_000) }), errorEvent('requestQuote', refused), cancel];
    case 'executingFx':
      return [
        doneEvent('executeQuote', { status: 'executed', rate: RATE, bought: USD(55_000) }),
        doneEvent('executeQuote', { status: 'expired' }),
        errorEvent('executeQuote', refused),
        // Waits for the execution's answer, then unwinds a deal made meanwhile.
        ...cancellable,
      ];
    case 'unwindingFx':
      return [doneEvent('reverseFxDeal', { reversedAt: '2026-12-02T00:00:00.000Z' })];
    case 'submitting':
      return [doneEvent('submitTransfer', { transferId: 'trf-model' }), ...(returned ? [] : [errorEvent('submitTransfer', refused)])];
    case 'awaitingSettlement':
      // A cancel here is refused (recorded, nothing changes): the payout is already submitted.
      return [notice('settlement.confirmed', c), notice('settlement.failed', c, { reason: 'beneficiary account closed' }), ...timerEvents(s), cancel];
    case 'queryingSettlement':
      // `pending`: the transfer was submitted with a slow settlement; a failed query: the read is scripted by its correlation key.
      return [
        returned
          ? doneEvent('querySettlement', { status: 'failed', failureReason: 'beneficiary-account-closed' })
          : doneEvent('querySettlement', { status: 'settled', failureReason: null }),
        ...(returned ? [] : [doneEvent('querySettlement', { status: 'pending', failureReason: null })]),
        errorEvent('querySettlement', refused),
      ];
    case 'capturing':
      return [doneEvent('captureHold', { captured: AMOUNT }), errorEvent('captureHold', refused)];
    case 'reversingTransfer':
      return [doneEvent('reverseTransfer', { status: 'reversed' })];
    case 'releasingHold':
      return [doneEvent('releaseHold', { status: 'released' })];
    default:
      return [];
  }
}

/**
 * Every partner answers after a delay, so the runner sees each state before its activity
 * moves on, and a cancel or a timer can overtake an activity in flight (reads carry no
 * Idempotency-Key, so a per-workflow script cannot slow them: the whole profile does).
 */
const LATENCY_MS = { bank: 200, fraud: 200, fx: 400 } as const;

/** Once per sandbox (the runner starts one per scenario): the latency profile and the accounts. */
const sandboxes = new WeakMap<SandboxClient, Promise<void>>();
function prepareSandbox(partners: SandboxClient): Promise<void> {
  let ready = sandboxes.get(partners);
  if (!ready) {
    ready = (async () => {
      // Before any path scripts anything: setting a profile replaces the partner's script.
      for (const [partner, latencyMs] of Object.entries(LATENCY_MS)) await partners.admin.setFaults(partner as keyof typeof LATENCY_MS, { latencyMs });
      const open = (id: string, value: number, currency: string) =>
        partners.bank.openAccount({ id, initialBalance: { value, currency } }, { idempotencyKey: `model-open-${id}` });
      await open(PLATFORM.EUR, 1_000_000_000_000, 'EUR');
      await open(PLATFORM.USD, 1_000_000_000_000, 'USD');
      await open(DEBTOR, 1_000_000_000_000, 'EUR');
      await open(CREDITOR.EUR, 0, 'EUR');
      await open(CREDITOR.USD, 0, 'USD');
      await open(CREDITOR.returned, 0, 'EUR');
      await open(CREDITOR.returnedUsd, 0, 'USD');
    })();
    sandboxes.set(partners, ready);
  }
  return ready;
}

/** Scripts the one partner call behind `event`, matched by the invocation's own Idempotency-Key. */
async function arrange(event: EventObject, ctx: ArrangeContext): Promise<void> {
  const c = ctx.snapshot.context as PaymentSettlementContext;
  const key = (invokeId: string, n = 1) => `${ctx.workflowId}/${invokeId}/${n}`;
  const entry = (path: string, prefix: string, rest: Omit<ScriptEntry, 'match'>): ScriptEntry => ({ match: { method: 'POST', path, idempotencyKeyPrefix: prefix }, ...rest });
  const rejected: Omit<ScriptEntry, 'match'> = { outcome: 'error', status: 422 };
  const { output } = event as EventObject & { output?: Record<string, unknown> };
  switch (event.type) {
    case 'xstate.error.actor.querySettlement':
      await ctx.partners.admin.script('bank', [{ match: { method: 'GET', path: '/bank/transfers/:id', idempotencyKeyPrefix: `${ctx.workflowId}/querySettlement/` }, ...rejected }]);
      return;
    case 'xstate.done.actor.validatePayment': // decided by the input's accounts
    case 'xstate.done.actor.querySettlement': // decided by the transfer, scripted at submission
    case 'xstate.done.actor.releaseHold':
    case 'xstate.done.actor.reverseTransfer':
    case 'xstate.done.actor.reserveFunds':
    case 'xstate.done.actor.captureHold':
      return; // the sandbox's own answer is the one the path needs
    case 'xstate.error.actor.reserveFunds':
      await ctx.partners.admin.script('bank', [...(found(ctx, 'findHold', 'holdId') ? [entry('/bank/holds', key('reserveFunds'), lostAnswer)] : []), entry('/bank/holds', key('reserveFunds'), rejected)]);
      return;
    case 'xstate.done.actor.findHold':
    case 'xstate.done.actor.findTransfer':
      return; // the bank's own answer, by the payment's own ids
    case 'xstate.done.actor.fraudCheck':
    case 'xstate.error.actor.fraudCheck': {
      // The child's keys are `<parent>:fraudCheck:<n>/scoreTransaction/1`.
      const answer: Omit<ScriptEntry, 'match'> = output ? { outcome: 'ok', body: { score: output.score } } : rejected;
      await ctx.partners.admin.script('fraud', [entry('/fraud/scores', `${ctx.workflowId}:fraudCheck:`, answer)]);
      return;
    }
    case 'xstate.done.actor.requestQuote':
      await ctx.partners.admin.script('fx', [entry('/fx/quotes', key('requestQuote', c.quoteAttempts + 1), { outcome: 'ok', body: { rate: RATE } })]);
      return;
    case 'xstate.error.actor.requestQuote':
      await ctx.partners.admin.script('fx', [entry('/fx/quotes', key('requestQuote', c.quoteAttempts + 1), rejected)]);
      return;
    case 'xstate.done.actor.executeQuote':
    case 'xstate.error.actor.executeQuote': {
      // One execution per quote taken: this is execution number `quoteAttempts`.
      const expired = { outcome: 'error', status: 409, body: { type: 'urn:statera:sandbox:problem:quote-expired', title: 'FX quote has expired' } } as const;
      const answer: Omit<ScriptEntry, 'match'> = !output ? rejected : output.status === 'expired' ? expired : { outcome: 'ok' };
      await ctx.partners.admin.script('fx', [entry('/fx/quotes/:id/execute', key('executeQuote', c.quoteAttempts), answer)]);
      return;
    }
    case 'xstate.done.actor.submitTransfer': {
      const returned = RETURNING.has(c.creditorAccount);
      // A later query that must find the transfer still pending: this transfer settles in an hour.
      const slow = ctx.upcoming.some((e) => e.type === 'xstate.done.actor.querySettlement' && (e as { output?: { status?: string } }).output?.status === 'pending');
      const answer: Omit<ScriptEntry, 'match'> = returned
        ? { outcome: 'ok', body: { settlement: 'failed', failureReason: 'beneficiary-account-closed' } }
        : slow
          ? { outcome: 'ok', body: { settleAfterMs: 3_600_000 } }
          : { outcome: 'ok' };
      await ctx.partners.admin.script('bank', [entry('/bank/transfers', key('submitTransfer'), answer)]);
      return;
    }
    case 'xstate.error.actor.submitTransfer':
      await ctx.partners.admin.script('bank', [...(found(ctx, 'findTransfer', 'transferId') ? [entry('/bank/transfers', key('submitTransfer'), lostAnswer)] : []), entry('/bank/transfers', key('submitTransfer'), rejected)]);
      return;
    case 'xstate.done.actor.reverseFxDeal':
      return; // the sandbox's own answer
    case 'xstate.error.actor.captureHold':
      await ctx.partners.admin.script('bank', [entry('/bank/holds/:id/capture', key('captureHold'), rejected)]);
      return;
    default:
      throw new Error(`payment-settlement scenario: nothing to arrange for ${event.type}`);
  }
}

/**
 * Applied at the bank, then the call hangs past the client's timeout (5 s): the retry that
 * follows meets the scripted refusal, so the activity fails though the bank acted.
 */
const lostAnswer: Omit<ScriptEntry, 'match'> = { outcome: 'timeout', applied: true, hangMs: 6_000 };

/** Whether the path's next lookup finds what the bank did. */
function found(ctx: ArrangeContext, invoke: string, field: string): boolean {
  const next = ctx.upcoming.find((e) => e.type === `xstate.done.actor.${invoke}`) as (EventObject & { output?: Record<string, unknown> }) | undefined;
  return next?.output?.[field] != null;
}

export const paymentSettlementScenario: ModelScenario = {
  type: 'payment-settlement',
  definitions: (deps) => {
    const fraudCheck = fraudCheckDefinition(deps, { reviewSlaMs: 4 * HOUR });
    const settlementAccounts = PLATFORM;
    return [
      fraudCheck,
      paymentSettlementDefinition(deps, { settlementAccounts, settlementTimeoutMs: 2 * HOUR, maxQuoteAttempts: 2 }, { fraudCheck: fraudCheck.machine }),
    ];
  },
  inputs: Object.values(INPUTS),
  events,
  // How the payment will end once compensated, and how many quotes were taken, decide the next branches.
  stateKey: (s) => {
    const c = s.context as PaymentSettlementContext;
    return `${c.outcome}|${c.quoteAttempts}`;
  },
  prepare: (_input, ctx) => prepareSandbox(ctx.partners),
  arrange,
};
