// The benchmark's own workflow definitions, registered in the worker processes through
// EXTRA_DEFINITIONS=bench/definitions.ts (and in the benchmark process, which starts them).
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { activity, defineWorkflow } from '../src/engine';

export const FIVE_STEP = 'bench-five-step';
export const TIMER = 'bench-timer';
export const PARKED = 'bench-parked';

type StepOutput = { step: number; n: number; ok: true };

// Five sequential activities, each answering a small object: the throughput workload.
const stepStates = Object.fromEntries(
  [1, 2, 3, 4, 5].map((i) => [
    `step${i}`,
    {
      invoke: {
        id: `step${i}`,
        src: 'benchStep' as const,
        input: ({ context }: { context: { n: number } }) => ({ step: i, n: context.n }),
        onDone: { target: i < 5 ? `step${i + 1}` : 'done', actions: 'keep' as const },
      },
    },
  ]),
);

const fiveStepMachine = setup({
  types: { input: {} as { n: number }, context: {} as { n: number; last?: StepOutput } },
  actors: { benchStep: activity<{ step: number; n: number }, StepOutput>() },
  actions: { keep: assign({ last: ({ event }) => (event as unknown as { output: StepOutput }).output }) },
}).createMachine({
  id: 'benchFiveStep',
  initial: 'step1',
  context: ({ input }) => ({ n: input.n }),
  states: { ...stepStates, done: { type: 'final' } },
  output: ({ context }) => ({ last: context.last ?? null }),
});

export const fiveStep = defineWorkflow({
  type: FIVE_STEP,
  version: 1,
  machine: fiveStepMachine,
  input: z.object({ n: z.number().int() }),
  exampleInput: { n: 1 },
  activities: {
    benchStep: { run: async (input: { step: number; n: number }): Promise<StepOutput> => ({ step: input.step, n: input.n, ok: true }) },
  },
});

// One durable 1 s timer: the timer-lateness workload.
const timerMachine = setup({}).createMachine({
  id: 'benchTimer',
  initial: 'waiting',
  states: { waiting: { after: { 1000: 'done' } }, done: { type: 'final' } },
});

export const timer = defineWorkflow({ type: TIMER, version: 1, machine: timerMachine, input: z.object({}), exampleInput: {} });

// Waits for a signal that never comes: the "waiting is free" workload.
const parkedMachine = setup({ types: { events: {} as { type: 'bench.released' } } }).createMachine({
  id: 'benchParked',
  initial: 'parked',
  states: { parked: { on: { 'bench.released': 'done' } }, done: { type: 'final' } },
});

export const parked = defineWorkflow({
  type: PARKED,
  version: 1,
  machine: parkedMachine,
  input: z.object({ n: z.number().int() }),
  events: { 'bench.released': z.object({}) },
  exampleInput: { n: 1 },
});

export const definitions = [fiveStep, timer, parked];
