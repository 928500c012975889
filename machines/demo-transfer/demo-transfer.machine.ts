import { assign, setup } from 'xstate';
import { activity, effect, type CancellationRequested } from '../../src/engine';

export interface DemoTransferInput {
  transferId: string;
  amount: { value: number; currency: string };
  from: string;
  to: string;
  /** For trying retries: the first N reservation attempts fail as a partner outage would. */
  failFirstAttempts: number;
}

export type DemoTransferOutcome = 'completed' | 'rejected' | 'expired' | 'cancelled';

export interface DemoTransferContext extends DemoTransferInput {
  holdId: string | null;
  decidedBy: string | null;
  outcome: DemoTransferOutcome | null;
}

export type DemoTransferEvent =
  | { type: 'transfer.approved'; approver: string }
  | { type: 'transfer.rejected'; approver: string; reason: string }
  | CancellationRequested;

export type ReserveFundsInput = Pick<DemoTransferInput, 'transferId' | 'amount' | 'from' | 'failFirstAttempts'>;

export interface DemoTransferConfig {
  approvalTimeoutMs: number;
}

/**
 * A transfer that reserves funds (an activity with retries), waits for an approval (a
 * signal) for at most `approvalTimeout` (a durable timer), and notifies the customer once
 * (an effect). Pure: no I/O, no clock, no randomness.
 */
export function createDemoTransferMachine(config: DemoTransferConfig) {
  return setup({
    types: {
      input: {} as DemoTransferInput,
      context: {} as DemoTransferContext,
      events: {} as DemoTransferEvent,
      output: {} as { outcome: DemoTransferOutcome | null; holdId: string | null; decidedBy: string | null },
    },
    actors: { reserveFunds: activity<ReserveFundsInput, { holdId: string }>() },
    actions: {
      notifyCustomer: effect<{ transferId: string; outcome: string }>(),
    },
    delays: { approvalTimeout: config.approvalTimeoutMs },
  }).createMachine({
    id: 'demo-transfer',
    initial: 'reserving',
    context: ({ input }) => ({ ...input, holdId: null, decidedBy: null, outcome: null }),
    states: {
      reserving: {
        invoke: {
          id: 'reserveFunds',
          src: 'reserveFunds',
          input: ({ context }) => ({ transferId: context.transferId, amount: context.amount, from: context.from, failFirstAttempts: context.failFirstAttempts }),
          onDone: { target: 'awaitingApproval', actions: assign({ holdId: ({ event }) => event.output.holdId }) },
          onError: 'rejected',
        },
      },
      awaitingApproval: {
        after: { approvalTimeout: 'expired' },
        on: {
          'transfer.approved': { target: 'completed', actions: assign({ decidedBy: ({ event }) => event.approver }) },
          'transfer.rejected': { target: 'rejected', actions: assign({ decidedBy: ({ event }) => event.approver }) },
          'cancellation.requested': 'cancelled',
        },
      },
      completed: {
        type: 'final',
        entry: [assign({ outcome: 'completed' }), { type: 'notifyCustomer', params: ({ context }) => ({ transferId: context.transferId, outcome: 'completed' }) }],
      },
      rejected: {
        type: 'final',
        meta: { outcome: 'rejection' },
        entry: [assign({ outcome: 'rejected' }), { type: 'notifyCustomer', params: ({ context }) => ({ transferId: context.transferId, outcome: 'rejected' }) }],
      },
      expired: { type: 'final', meta: { outcome: 'rejection' }, entry: assign({ outcome: 'expired' }) },
      cancelled: { type: 'final', tags: ['cancelled'], entry: assign({ outcome: 'cancelled' }) },
    },
    output: ({ context }) => ({ outcome: context.outcome, holdId: context.holdId, decidedBy: context.decidedBy }),
  });
}
