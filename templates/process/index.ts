import { currencyCode, defineWorkflow } from 'statera';
import { z } from 'statera/zod';
import { checkRequest, notifyCustomer } from './__type__.activities';
import { create__Name__Machine } from './__type__.machine';

export const __name__ = defineWorkflow({
  type: '__type__',
  version: 1,
  description: 'Check a request with a partner, wait up to a day for a confirmation, notify the customer.',
  machine: create__Name__Machine({ confirmationTimeoutMs: 24 * 60 * 60_000 }),
  input: z.object({
    requestId: z.string().min(1),
    amount: z.object({ value: z.number().int().positive(), currency: currencyCode }),
    customer: z.string().min(1),
  }),
  events: {
    '__type__.confirmed': z.object({ by: z.string().min(1) }),
  },
  exampleInput: { requestId: 'R-1001', amount: { value: 125000, currency: 'EUR' }, customer: 'C-42' },
  activities: {
    checkRequest: { run: checkRequest, retry: { maximumAttempts: 5 }, startToCloseTimeoutMs: 10_000 },
  },
  effects: { notifyCustomer: { run: notifyCustomer } },
});

/** What EXTRA_DEFINITIONS loads from this module. */
export const definitions = [__name__];
