import { z } from 'zod';
import { defineWorkflow, type RetryPolicy, type WorkflowDefinition } from '../../src/engine';
import { NON_RETRYABLE_PARTNER_ERRORS } from '../../src/partners';
import type { ProcessDeps } from '../shared/process-deps';
import { moneySchema } from '../shared/schemas';
import { createTradeExecutionActivities } from './trade-execution.activities';
import { createTradeExecutionMachine, defaultTradeExecutionConfig, type TradeExecutionConfig } from './trade-execution.machine';

const accountId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');

const partnerCall: Partial<RetryPolicy> = {
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 10_000,
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE_PARTNER_ERRORS],
};

/**
 * Cancelling and settling must eventually happen once the order exists: they retry for
 * longer (over ten minutes) before the error reaches the machine.
 */
const mustComplete: Partial<RetryPolicy> = { ...partnerCall, maximumIntervalMs: 60_000, maximumAttempts: 20 };

export function tradeExecutionDefinition(deps: ProcessDeps, config: Partial<TradeExecutionConfig> = {}): WorkflowDefinition {
  const activities = createTradeExecutionActivities(deps.partners);
  return defineWorkflow({
    type: 'trade-execution',
    version: 1,
    description:
      'A limit order: pre-trade risk limits, routing to the broker, fills as signals until filled, cancelled or expired at the ' +
      'market close, allocation of the fills, settlement against the broker account T+1.',
    machine: createTradeExecutionMachine({ ...defaultTradeExecutionConfig, ...config }),
    input: z.object({
      orderId: z.string().min(1).max(64),
      account: accountId,
      symbol: z.string().regex(/^[A-Z]{1,5}(\.[A-Z]{1,2})?$/, 'ticker such as ACME or BRK.B'),
      side: z.enum(['buy', 'sell']),
      quantity: z.number().int().positive(),
      limitPrice: moneySchema,
    }),
    events: {
      'order.filled': z.object({ fillId: z.string().min(1).max(64), quantity: z.number().int().positive(), price: moneySchema }),
      'order.cancelRequested': z.object({ requestedBy: z.string().min(1).max(200) }),
    },
    exampleInput: { orderId: 'ORD-2024-000123', account: 'ACC-TRADER-0001', symbol: 'ACME', side: 'buy', quantity: 250, limitPrice: { value: 12_550, currency: 'EUR' } },
    activities: {
      checkAccount: { run: activities.checkAccount, sideEffects: false, retry: partnerCall, startToCloseTimeoutMs: 10_000 },
      placeOrder: { run: activities.placeOrder, retry: partnerCall, startToCloseTimeoutMs: 15_000 },
      cancelOrder: { run: activities.cancelOrder, retry: mustComplete, startToCloseTimeoutMs: 15_000 },
      settleTrade: { run: activities.settleTrade, retry: mustComplete, startToCloseTimeoutMs: 15_000 },
    },
    effects: {
      allocateFills: { run: activities.allocateFills, retry: { maximumAttempts: 10 }, startToCloseTimeoutMs: 10_000 },
    },
  });
}
