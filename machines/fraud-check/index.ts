import { z } from 'zod';
import { defineWorkflow, type WorkflowDefinition } from '../../src/engine';
import { NON_RETRYABLE_PARTNER_ERRORS } from '../../src/partners';
import type { ProcessDeps } from '../shared/process-deps';
import { moneySchema } from '../shared/schemas';
import { createFraudCheckActivities } from './fraud-check.activities';
import { createFraudCheckMachine, defaultFraudCheckConfig, type FraudCheckConfig } from './fraud-check.machine';

const reviewSchema = z.object({ reviewer: z.string().min(1), note: z.string().max(2000).optional() });

export function fraudCheckDefinition(deps: ProcessDeps, config: Partial<FraudCheckConfig> = {}): WorkflowDefinition {
  const resolved: FraudCheckConfig = { ...defaultFraudCheckConfig, ...config };
  if (resolved.lowThreshold > resolved.highThreshold) {
    throw new Error(`fraud-check: lowThreshold (${resolved.lowThreshold}) must not exceed highThreshold (${resolved.highThreshold})`);
  }
  const activities = createFraudCheckActivities(deps.partners);
  return defineWorkflow({
    type: 'fraud-check',
    version: 1,
    description:
      `Scores a transaction: below ${resolved.lowThreshold} approved, above ${resolved.highThreshold} declined, ` +
      `in between an analyst decides (review.approved / review.declined) within ${resolved.reviewSlaMs} ms, else declined.`,
    machine: createFraudCheckMachine(resolved),
    input: z.object({
      transactionId: z.string().min(1).max(128),
      amount: moneySchema,
      payer: z.string().min(1).optional(),
      payee: z.string().min(1).optional(),
    }),
    events: {
      'review.approved': reviewSchema,
      'review.declined': reviewSchema,
    },
    exampleInput: { transactionId: 'PAY-2024-0001', amount: { value: 125000, currency: 'EUR' }, payer: 'DE89370400440532013000', payee: 'FR1420041010050500013M02606' },
    activities: {
      scoreTransaction: {
        run: activities.scoreTransaction,
        retry: { initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 10_000, maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_PARTNER_ERRORS] },
        startToCloseTimeoutMs: 10_000,
        // Low, middling and high risk: the compliance report shows each decision's path runs.
        exampleAnswers: [{ score: 0 }, { score: 50 }, { score: 100 }],
      },
    },
  });
}
