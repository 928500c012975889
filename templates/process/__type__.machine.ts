import { assign, setup } from 'statera/xstate';
import { activity, effect, type CancellationRequested } from 'statera';

export interface __Name__Input {
  requestId: string;
  /** Minor units (cents) and an ISO 4217 code. */
  amount: { value: number; currency: string };
  customer: string;
}

export interface CheckResult {
  approved: boolean;
  reason: string;
}

export interface __Name__Context extends __Name__Input {
  check: CheckResult | null;
  confirmedBy: string | null;
}

export type __Name__Event = { type: '__type__.confirmed'; by: string } | CancellationRequested;

export interface __Name__Config {
  confirmationTimeoutMs: number;
}

/**
 * Checks the request with a partner (an activity, retried by the engine), waits for a
 * confirmation (a signal) for at most `confirmationTimeout` (a durable timer), and notifies
 * the customer once (an effect). Pure: no I/O, no clock, no randomness — the engine runs the
 * I/O declared here and records every step.
 */
export function create__Name__Machine(config: __Name__Config) {
  return setup({
    types: {
      input: {} as __Name__Input,
      context: {} as __Name__Context,
      events: {} as __Name__Event,
    },
    actors: { checkRequest: activity<__Name__Input, CheckResult>() },
    actions: { notifyCustomer: effect<{ requestId: string; outcome: string }>() },
    delays: { confirmationTimeout: config.confirmationTimeoutMs },
  }).createMachine({
    id: '__type__',
    initial: 'checking',
    context: ({ input }) => ({ ...input, check: null, confirmedBy: null }),
    states: {
      checking: {
        invoke: {
          id: 'checkRequest',
          src: 'checkRequest',
          input: ({ context }) => ({ requestId: context.requestId, amount: context.amount, customer: context.customer }),
          onDone: [
            {
              guard: ({ event }) => event.output.approved,
              target: 'awaitingConfirmation',
              actions: assign({ check: ({ event }) => event.output }),
              description: 'the partner approved the request',
            },
            { target: 'rejected', actions: assign({ check: ({ event }) => event.output }) },
          ],
          // An error that survived the retry policy: the request ends failed (without an
          // `onError` the engine would open an incident for an operator instead).
          onError: 'failed',
        },
      },
      awaitingConfirmation: {
        after: { confirmationTimeout: 'expired' },
        on: {
          '__type__.confirmed': { target: 'completed', actions: assign({ confirmedBy: ({ event }) => event.by }) },
          'cancellation.requested': 'cancelled',
        },
      },
      completed: {
        type: 'final',
        meta: { outcome: 'success' },
        entry: { type: 'notifyCustomer', params: ({ context }) => ({ requestId: context.requestId, outcome: 'completed' }) },
      },
      rejected: {
        type: 'final',
        meta: { outcome: 'rejection' },
        entry: { type: 'notifyCustomer', params: ({ context }) => ({ requestId: context.requestId, outcome: 'rejected' }) },
      },
      expired: { type: 'final', meta: { outcome: 'rejection' } },
      failed: { type: 'final', tags: ['failed'], meta: { outcome: 'failure' } },
      cancelled: { type: 'final', tags: ['cancelled'] },
    },
  });
}
