import { assign, setup, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { z } from 'zod';
import { activity, defineWorkflow, type ActivityContext, type WorkflowDefinition } from '../../src/engine';
import { NON_RETRYABLE_PARTNER_ERRORS, PartnerRejectedError, type ScriptEntry, type SandboxClient } from '../../src/sandbox/client';
import { kycVerificationDefinition } from '../../machines/kyc-verification';
import { loanApprovalDefinition } from '../../machines/loan-approval';
import type { DisbursementInput, DisbursementOutput, LoanApprovalInput } from '../../machines/loan-approval/loan-approval.machine';
import { moneySchema } from '../../machines/shared/schemas';
import type { ProcessDeps } from '../../machines/shared/process-deps';
import { doneEvent, errorEvent, timerEvents, type ArrangeContext, type ModelScenario } from './support/scenario';

const HOUR = 3_600_000;

// --- payment-settlement stand-in -----------------------------------------------------------
// payment-settlement is being written elsewhere: the loan is tested against this stand-in,
// which honours the same input/output contract with one bank transfer.

/** The stand-in takes this long before transferring, as a settlement would: long enough to cancel a disbursement. */
export const STANDIN_SETTLEMENT_MS = 300;

type TransferStatus = { status: 'settled' | 'failed' };

export function paymentSettlementStandinDefinition(deps: ProcessDeps): WorkflowDefinition {
  const machine = setup({
    types: {
      input: {} as DisbursementInput,
      context: {} as DisbursementInput & { outcome: DisbursementOutput['outcome'] | null },
      output: {} as DisbursementOutput,
    },
    actors: { transferFunds: activity<DisbursementInput, TransferStatus>() },
  }).createMachine({
    id: 'payment-settlement-standin',
    initial: 'transferring',
    context: ({ input }) => ({ ...input, outcome: null }),
    states: {
      transferring: {
        // A refusal fails the stand-in workflow on purpose, as an error the real process gives up on would.
        invoke: {
          id: 'transferFunds',
          src: 'transferFunds',
          input: ({ context }) => ({ ...context }),
          onDone: [{ guard: ({ event }) => event.output.status === 'settled', target: 'settled' }, { target: 'failed' }],
          onError: 'refused',
        },
      },
      refused: { type: 'final', tags: ['failed'] },
      settled: { type: 'final', entry: assign({ outcome: 'settled' }) },
      failed: { type: 'final', entry: assign({ outcome: 'failed' }) },
    },
    output: ({ context }) => ({ outcome: context.outcome as DisbursementOutput['outcome'], paymentId: context.paymentId }),
  });
  return defineWorkflow({
    type: 'payment-settlement-standin',
    version: 1,
    description: 'Test stand-in for payment-settlement: one bank transfer, then its settlement status.',
    machine,
    input: z.object({ paymentId: z.string().min(1), debtorAccount: z.string().min(1), creditorAccount: z.string().min(1), amount: moneySchema, creditorCurrency: z.string() }),
    exampleInput: { paymentId: 'PAY-1', debtorAccount: 'A', creditorAccount: 'B', amount: { value: 100, currency: 'EUR' }, creditorCurrency: 'EUR' },
    activities: {
      transferFunds: {
        run: async (input: DisbursementInput, ctx: ActivityContext): Promise<TransferStatus> => {
          await new Promise((resolve) => setTimeout(resolve, STANDIN_SETTLEMENT_MS));
          const options = { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal };
          const submitted = await deps.partners.bank.createTransfer(
            { from: input.debtorAccount, to: input.creditorAccount, amount: input.amount, reference: input.paymentId },
            options,
          );
          // The sandbox settles a transfer on the bank's next request.
          const transfer = await deps.partners.bank.getTransfer(submitted.id, { signal: ctx.signal });
          return { status: transfer.status === 'settled' ? 'settled' : 'failed' };
        },
        retry: { initialIntervalMs: 100, maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_PARTNER_ERRORS] },
        startToCloseTimeoutMs: 5000,
      },
    },
  });
}

/** Opens an account unless it exists: paths share the input's accounts. */
export async function ensureAccount(partners: SandboxClient, id: string, initialBalance: { value: number; currency: string }, key: string): Promise<void> {
  try {
    await partners.bank.openAccount({ id, owner: id, initialBalance }, { idempotencyKey: key });
  } catch (err) {
    if (!(err instanceof PartnerRejectedError && err.type.endsWith(':account-exists'))) throw err;
  }
}

// --- the scenario ----------------------------------------------------------------------------

const passport = { type: 'passport' as const, number: 'C01X00T47', country: 'DE' };

const input: LoanApprovalInput = {
  applicationId: 'LOAN-MODEL-1',
  applicant: { id: 'CUST-MODEL-1', name: 'Jana Novak', country: 'DE', dateOfBirth: '1988-04-12', documents: [passport] },
  // Within the automatic limit, so the credit score alone decides.
  amount: { value: 1_000_000, currency: 'EUR' },
  termMonths: 36,
  disbursementAccount: 'MODEL-BORROWER-EUR',
  lenderAccount: 'MODEL-LENDER-EUR',
};

const kycOutputs = {
  verified: { outcome: 'verified', applicantId: input.applicant.id, riskFlags: [], decidedBy: 'automated' },
  rejected: { outcome: 'rejected', applicantId: input.applicant.id, riskFlags: ['documents:document-expired'], decidedBy: 'automated' },
} as const;

// Against the default thresholds: below 580 declined, from 700 approved, between referred.
const creditScores = { declined: 520, approved: 780, referred: 650 };

const paymentId = `${input.applicationId}-disbursement`;
const refused = { name: 'PartnerRejectedError', message: 'the partner refused the request (422)' };
const signal = (type: string, payload: Record<string, unknown> = {}): EventObject => ({ type, ...payload });
const underwriter = { underwriter: 'underwriter-3', note: 'income verified by payslips' };
const secondUnderwriter = { underwriter: 'underwriter-4', note: 'second pair of eyes' };

function eventsFor(s: AnyMachineSnapshot): EventObject[] {
  if (s.matches('verifyingIdentity')) return Object.values(kycOutputs).map((o) => doneEvent('kycVerification', o));
  if (s.matches('checkingCredit')) {
    return [...Object.values(creditScores).map((score) => doneEvent('pullCreditReport', { score })), errorEvent('pullCreditReport', refused)];
  }
  if (s.matches('underwriting')) return [signal('underwriting.approved', underwriter), signal('underwriting.declined', underwriter), ...timerEvents(s)];
  if (s.matches('secondApproval')) return [signal('underwriting.secondApproved', secondUnderwriter), signal('underwriting.secondDeclined', secondUnderwriter)];
  if (s.matches('awaitingAcceptance')) {
    return [signal('offer.accepted'), signal('offer.declined', { reason: 'found a cheaper loan' }), signal('cancellation.requested'), ...timerEvents(s)];
  }
  if (s.matches('disbursing')) {
    return [
      doneEvent('paymentSettlement', { outcome: 'settled', paymentId }),
      doneEvent('paymentSettlement', { outcome: 'failed', paymentId }),
      errorEvent('paymentSettlement', refused),
      signal('cancellation.requested'),
    ];
  }
  return [];
}

async function arrange(event: EventObject, ctx: ArrangeContext): Promise<void> {
  // The children's keys start with the loan's workflow id too.
  const entry = (path: string, rest: Omit<ScriptEntry, 'match'>): ScriptEntry[] => [
    { match: { method: 'POST', path, idempotencyKeyPrefix: ctx.workflowId }, ...rest },
  ];
  const { output } = event as EventObject & { output?: any };
  switch (event.type) {
    case 'xstate.done.actor.kycVerification':
      if (output.outcome === 'verified') {
        await ctx.partners.admin.script('kyc', entry('/kyc/checks', { outcome: 'ok', body: { result: 'clear', reasons: [] } }));
        await ctx.partners.admin.script('sanctions', entry('/sanctions/screenings', { outcome: 'ok', body: { result: 'clear' } }));
      } else {
        await ctx.partners.admin.script('kyc', entry('/kyc/checks', { outcome: 'ok', body: { result: 'rejected', reasons: ['document-expired'] } }));
      }
      return;
    case 'xstate.done.actor.pullCreditReport':
      await ctx.partners.admin.script('credit', entry('/credit/reports', { outcome: 'ok', body: { score: output.score } }));
      return;
    case 'xstate.error.actor.pullCreditReport':
      await ctx.partners.admin.script('credit', entry('/credit/reports', { outcome: 'error', status: 422 }));
      return;
    case 'xstate.done.actor.paymentSettlement':
      // Settled needs nothing: the accounts exist and the lender is funded.
      if (output.outcome === 'failed') await ctx.partners.admin.script('bank', entry('/bank/transfers', { outcome: 'ok', body: { settlement: 'failed' } }));
      return;
    case 'xstate.error.actor.paymentSettlement':
      await ctx.partners.admin.script('bank', entry('/bank/transfers', { outcome: 'error', status: 422 }));
      return;
    default:
      throw new Error(`loan-approval scenario: nothing to arrange for ${event.type}`);
  }
}

/** The loan under test, the kyc-verification child, and the payment-settlement stand-in (not the real process). */
export const loanApprovalScenario: ModelScenario = {
  type: 'loan-approval',
  definitions: (deps) => {
    const kyc = kycVerificationDefinition(deps, { documentReminderMs: 24 * HOUR, documentExpiryMs: 7 * 24 * HOUR, complianceReviewSlaMs: 24 * HOUR });
    const payment = paymentSettlementStandinDefinition(deps);
    const loan = loanApprovalDefinition(
      deps,
      { underwritingSlaMs: 24 * HOUR, offerExpiryMs: 7 * 24 * HOUR },
      { kycVerification: kyc.machine, paymentSettlement: payment.machine },
    );
    return [loan, kyc, payment];
  },
  // A large loan takes the second-approval branch after underwriting.
  inputs: [input, { ...input, applicationId: 'LOAN-MODEL-LARGE', amount: { value: 9_000_000, currency: 'EUR' } }],
  events: eventsFor,
  prepare: async (start, ctx) => {
    const loan = start as LoanApprovalInput;
    await ensureAccount(ctx.partners, loan.lenderAccount, { value: 1_000_000_000_000, currency: loan.amount.currency }, `model/open/${loan.lenderAccount}`);
    await ensureAccount(ctx.partners, loan.disbursementAccount, { value: 0, currency: loan.amount.currency }, `model/open/${loan.disbursementAccount}`);
  },
  arrange,
};
