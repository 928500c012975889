import { assign, setup } from 'xstate';
import { z } from 'zod';
import { activity, defineWorkflow, type ActivityContext } from '../../src/engine';

/** Every attempt of these definitions' activities, in the order they ran. */
export const incidentAttempts: { activity: string; idempotencyKey: string; attempt: number }[] = [];

/** The strict partner fails while this is true (an outage the operator waits out). */
export const partner = { down: true };

const fast = { initialIntervalMs: 50, backoffCoefficient: 2, maximumIntervalMs: 100 };

/**
 * A guard with a bug (it throws) until the definition is deployed fixed: the same type and
 * version, other code, as when a process is redeployed.
 */
export function buggyDefinition(fixed: boolean) {
  const machine = setup({
    types: { context: {} as { amount: number; charged?: unknown }, input: {} as { amount: number }, events: {} as { type: 'go' } },
    actors: { charge: activity<{ amount: number }, { chargeId: string }>() },
    guards: {
      withinLimit: ({ context }) => {
        if (!fixed) throw new TypeError("Cannot read properties of undefined (reading 'limit')");
        return context.amount < 1000;
      },
    },
  }).createMachine({
    id: 'buggy',
    initial: 'idle',
    context: ({ input }) => ({ amount: input.amount }),
    states: {
      idle: { on: { go: [{ guard: 'withinLimit', target: 'charging' }, { target: 'refused' }] } },
      charging: {
        invoke: { id: 'charge', src: 'charge', input: ({ context }) => ({ amount: context.amount }), onDone: { target: 'done', actions: assign({ charged: ({ event }) => event.output }) }, onError: 'refused' },
      },
      done: { type: 'final' },
      refused: { type: 'final' },
    },
  });
  return defineWorkflow({
    type: 'incident-buggy',
    version: 1,
    machine,
    input: z.object({ amount: z.number() }),
    events: { go: z.object({}) },
    exampleInput: { amount: 10 },
    activities: {
      charge: {
        run: async (input: { amount: number }, ctx: ActivityContext) => {
          incidentAttempts.push({ activity: 'charge', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt });
          return { chargeId: `ch-${input.amount}` };
        },
      },
    },
  });
}

/** An activity with no `onError`: when its attempts run out the workflow has an incident, not an end. */
const strictMachine = setup({
  types: { context: {} as { result?: unknown } },
  actors: { partnerCall: activity<Record<string, never>, { ok: true }>() },
}).createMachine({
  id: 'strict',
  initial: 'calling',
  context: {},
  states: {
    calling: { invoke: { id: 'partner', src: 'partnerCall', input: {}, onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) } } },
    done: { type: 'final' },
  },
});

export const strict = defineWorkflow({
  type: 'incident-strict',
  version: 1,
  machine: strictMachine,
  input: z.object({}),
  exampleInput: {},
  activities: {
    partnerCall: {
      retry: { ...fast, maximumAttempts: 2 },
      run: async (_input: unknown, ctx: ActivityContext) => {
        incidentAttempts.push({ activity: 'partnerCall', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt });
        if (partner.down) throw new Error('partner answered 503');
        return { ok: true as const };
      },
    },
  },
});

/** Outcomes a worker cannot hand over as they are: a value that is not JSON, a synchronous throw. */
const oddMachine = setup({
  types: { context: {} as { mode: string }, input: {} as { mode: 'bigint' | 'sync' } },
  actors: { odd: activity<{ mode: string }, unknown>() },
}).createMachine({
  id: 'odd',
  initial: 'calling',
  context: ({ input }) => ({ mode: input.mode }),
  states: {
    calling: { invoke: { id: 'odd', src: 'odd', input: ({ context }) => ({ mode: context.mode }), onDone: 'done' } },
    done: { type: 'final' },
  },
});

export const odd = defineWorkflow({
  type: 'incident-odd',
  version: 1,
  machine: oddMachine,
  input: z.object({ mode: z.enum(['bigint', 'sync']) }),
  exampleInput: { mode: 'sync' },
  activities: {
    odd: {
      retry: { ...fast, maximumAttempts: 2 },
      // Not async on purpose: the sync mode throws before any promise exists.
      run: (input: { mode: string }, ctx: ActivityContext): Promise<unknown> => {
        incidentAttempts.push({ activity: 'odd', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt });
        if (input.mode === 'sync') throw new Error('thrown synchronously');
        return Promise.resolve({ amount: BigInt(10) });
      },
    },
  },
});

/** A timer and a signal whose order shows: the timer first leads to `noted`, the signal first to `early`. */
const pausableMachine = setup({
  types: { context: {} as { ticked: boolean }, input: {} as { tickMs: number }, events: {} as { type: 'note.added' } },
  delays: { tick: ({ context }) => (context as unknown as { tickMs: number }).tickMs },
}).createMachine({
  id: 'pausable',
  initial: 'waiting',
  context: ({ input }) => ({ ticked: false, tickMs: input.tickMs }) as { ticked: boolean },
  states: {
    waiting: { after: { tick: { target: 'ticked', actions: assign({ ticked: true }) } }, on: { 'note.added': 'early' } },
    ticked: { on: { 'note.added': 'noted' } },
    early: { type: 'final' },
    noted: { type: 'final' },
  },
});

export const pausable = defineWorkflow({
  type: 'incident-pausable',
  version: 1,
  machine: pausableMachine,
  input: z.object({ tickMs: z.number().int().min(0) }),
  events: { 'note.added': z.object({}) },
  exampleInput: { tickMs: 60_000 },
});

export const incidentDefinitions = [buggyDefinition(false), strict, odd, pausable];
