import { z } from 'zod';
import { currencyCode, defineWorkflow, type RetryPolicy, type WorkflowDefinition } from '../../src/engine';
import { NON_RETRYABLE_PARTNER_ERRORS } from '../../src/partners';
import type { ProcessDeps } from '../shared/process-deps';
import { moneySchema } from '../shared/schemas';
import { createPaymentSettlementActivities } from './payment-settlement.activities';
import {
  createPaymentSettlementMachine,
  defaultPaymentSettlementConfig,
  type PaymentSettlementChildren,
  type PaymentSettlementConfig,
} from './payment-settlement.machine';

const partnerRetry: Partial<RetryPolicy> = {
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 10_000,
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE_PARTNER_ERRORS],
};
// Once the payout is out, capturing and compensating must not give up on an outage: about half an hour of retries.
const persistentRetry: Partial<RetryPolicy> = { ...partnerRetry, maximumIntervalMs: 60_000, maximumAttempts: 35 };

const accountId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');

/**
 * `children.fraudCheck` must be the machine of the registered `fraud-check` definition
 * (`fraudCheckDefinition(deps).machine`): the engine finds the child by that object.
 */
export function paymentSettlementDefinition(
  deps: ProcessDeps,
  config: Partial<PaymentSettlementConfig> = {},
  children: PaymentSettlementChildren,
): WorkflowDefinition {
  const resolved: PaymentSettlementConfig = { ...defaultPaymentSettlementConfig, ...config };
  const a = createPaymentSettlementActivities(deps.partners);
  return defineWorkflow({
    type: 'payment-settlement',
    version: 1,
    description:
      'Holds the debtor\'s funds, screens the payment (fraud-check child), converts currency when needed (re-quoting expired quotes), ' +
      'pays the creditor out of the platform account, waits for settlement (callback, else asks the bank) and captures the hold. ' +
      'Failures release the hold (and reverse the payout once sent); cancellable until the payout is submitted.',
    machine: createPaymentSettlementMachine(resolved, children),
    input: z.object({
      paymentId: z.string().min(1).max(128),
      debtorAccount: accountId,
      creditorAccount: accountId,
      amount: moneySchema,
      creditorCurrency: currencyCode,
    }),
    events: {
      'settlement.confirmed': z.object({ reference: z.string().min(1), transferId: z.string().min(1).optional() }),
      'settlement.failed': z.object({ reference: z.string().min(1), transferId: z.string().min(1).optional(), reason: z.string().min(1).max(140) }),
    },
    // Scores 1 of 100 at the sandbox's fraud scorer (a hash of the request): the example settles.
    exampleInput: {
      paymentId: 'PAY-2024-0003',
      debtorAccount: 'acme-gmbh-eur',
      creditorAccount: 'globex-inc-usd',
      amount: { value: 125000, currency: 'EUR' },
      creditorCurrency: 'USD',
    },
    activities: {
      // Four reads per attempt: a flaky bank needs more attempts than a single call does.
      // Reads and quotes change nothing that matters at the partner: their state may be left while they run.
      validatePayment: { run: a.validatePayment, sideEffects: false, retry: { ...partnerRetry, maximumAttempts: 10 }, startToCloseTimeoutMs: 15_000 },
      // A hold or a payout the bank applied but whose answer was lost is only learned by asking again with
      // the same key: giving up early would leave money held (or paid) that the machine does not know of.
      reserveFunds: { run: a.reserveFunds, retry: persistentRetry, startToCloseTimeoutMs: 10_000 },
      requestQuote: { run: a.requestQuote, sideEffects: false, retry: partnerRetry, startToCloseTimeoutMs: 10_000 },
      // Few attempts: the quote expires anyway, and an expiry is an answer the machine handles.
      // As long as a hold's: a refusal is reported only once the partner's answer is known, never for a lost one.
      executeQuote: { run: a.executeQuote, retry: persistentRetry, startToCloseTimeoutMs: 10_000 },
      reverseFxDeal: { run: a.reverseFxDeal, retry: persistentRetry, startToCloseTimeoutMs: 10_000 },
      // Reads, asked as long as a hold would be: the payment never ends without knowing what the bank did.
      findHold: { run: a.findHold, sideEffects: false, retry: persistentRetry, startToCloseTimeoutMs: 10_000 },
      findTransfer: { run: a.findTransfer, sideEffects: false, retry: persistentRetry, startToCloseTimeoutMs: 10_000 },
      submitTransfer: { run: a.submitTransfer, retry: persistentRetry, startToCloseTimeoutMs: 15_000 },
      querySettlement: { run: a.querySettlement, sideEffects: false, retry: partnerRetry, startToCloseTimeoutMs: 10_000 },
      captureHold: { run: a.captureHold, retry: persistentRetry, startToCloseTimeoutMs: 10_000 },
      reverseTransfer: { run: a.reverseTransfer, retry: persistentRetry, startToCloseTimeoutMs: 15_000 },
      releaseHold: { run: a.releaseHold, retry: persistentRetry, startToCloseTimeoutMs: 10_000 },
    },
  });
}
