import { z } from 'zod';
import { currencyCode, defineWorkflow } from '../../src/engine';
import { notifyCustomer, reserveFunds } from './demo-transfer.activities';
import { createDemoTransferMachine } from './demo-transfer.machine';

const money = z.object({ value: z.number().int().positive(), currency: currencyCode });

export const demoTransfer = defineWorkflow({
  type: 'demo-transfer',
  version: 1,
  description: 'Reserve funds (retried), wait for an approval for at most 10 minutes, notify the customer.',
  machine: createDemoTransferMachine({ approvalTimeoutMs: 10 * 60_000 }),
  input: z.object({
    transferId: z.string().min(1),
    amount: money,
    from: z.string().min(1),
    to: z.string().min(1),
    failFirstAttempts: z.number().int().min(0).max(10).default(0),
  }),
  events: {
    'transfer.approved': z.object({ approver: z.string().min(1) }),
    'transfer.rejected': z.object({ approver: z.string().min(1), reason: z.string().min(1) }),
  },
  exampleInput: { transferId: 'T-1001', amount: { value: 125000, currency: 'EUR' }, from: 'DE89370400440532013000', to: 'FR1420041010050500013M02606', failFirstAttempts: 2 },
  activities: {
    reserveFunds: {
      run: reserveFunds,
      retry: { initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 10_000, maximumAttempts: 5 },
      startToCloseTimeoutMs: 10_000,
    },
  },
  effects: { notifyCustomer: { run: notifyCustomer, retry: { maximumAttempts: 10 } } },
});
