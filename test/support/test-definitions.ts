import { assign, fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { activity, defineWorkflow, effect, humanTask, NonRetryableError, type ActivityContext } from '../../src/engine';

/** Every activity attempt the test process ran: key, attempt number, and what it was given. */
export const attempts: { activity: string; idempotencyKey: string; attempt: number; aborted?: boolean }[] = [];

const fast = { initialIntervalMs: 50, backoffCoefficient: 2, maximumIntervalMs: 200 };

// --- fails twice, then succeeds -------------------------------------------------------
const flakyMachine = setup({
  types: { input: {} as { failures: number }, context: {} as { failures: number; result?: unknown } },
  actors: { flakyCall: fromPromise<unknown, { failures: number }>(async () => undefined) },
}).createMachine({
  id: 'flaky',
  initial: 'calling',
  context: ({ input }) => ({ failures: input.failures }),
  states: {
    calling: {
      invoke: {
        id: 'call',
        src: 'flakyCall',
        input: ({ context }) => ({ failures: context.failures }),
        onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) },
        onError: 'gaveUp',
      },
    },
    done: { type: 'final' },
    gaveUp: { type: 'final' },
  },
  output: ({ context }) => ({ result: context.result ?? null }),
});

export const flaky = defineWorkflow({
  type: 'test-flaky',
  version: 1,
  machine: flakyMachine,
  input: z.object({ failures: z.number().int().min(0) }),
  exampleInput: { failures: 0 },
  activities: {
    flakyCall: {
      retry: { ...fast, maximumAttempts: 5 },
      run: async (input: { failures: number }, ctx: ActivityContext) => {
        attempts.push({ activity: 'flakyCall', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt });
        if (ctx.attempt <= input.failures) throw new Error(`transient failure ${ctx.attempt}`);
        return { attempt: ctx.attempt, key: ctx.idempotencyKey };
      },
    },
  },
});

// --- permanent error and timeouts ------------------------------------------------------
const guardedMachine = setup({
  types: { input: {} as { mode: 'refuse' | 'hang' }, context: {} as { mode: 'refuse' | 'hang' } },
  actors: { partnerCall: fromPromise<unknown, { mode: string }>(async () => undefined) },
}).createMachine({
  id: 'guarded',
  initial: 'calling',
  context: ({ input }) => ({ mode: input.mode }),
  states: {
    calling: {
      invoke: {
        id: 'partner',
        src: 'partnerCall',
        input: ({ context }) => ({ mode: context.mode }),
        onDone: 'done',
        // Only a refusal is handled: a timeout that exhausts retries has no error transition.
        onError: { guard: ({ event }) => (event.error as { name?: string })?.name === 'PartnerRefused', target: 'refused' },
      },
    },
    done: { type: 'final' },
    refused: { type: 'final' },
  },
});

class PartnerRefused extends NonRetryableError {
  override readonly name = 'PartnerRefused';
}

export const guarded = defineWorkflow({
  type: 'test-guarded',
  version: 1,
  machine: guardedMachine,
  input: z.object({ mode: z.enum(['refuse', 'hang']) }),
  exampleInput: { mode: 'refuse' },
  activities: {
    partnerCall: {
      retry: { ...fast, maximumAttempts: 3 },
      startToCloseTimeoutMs: 300,
      run: async (input: { mode: string }, ctx: ActivityContext) => {
        const entry = { activity: 'partnerCall', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt, aborted: false };
        attempts.push(entry);
        if (input.mode === 'refuse') throw new PartnerRefused('account closed');
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        entry.aborted = ctx.signal.aborted;
        return 'too late';
      },
    },
  },
});

// --- timers and signals ----------------------------------------------------------------
const approvalMachine = setup({
  types: { input: {} as { timeoutMs: number }, context: {} as { timeoutMs: number }, events: {} as { type: 'approval.granted' } },
  delays: { approvalTimeout: ({ context }) => context.timeoutMs },
}).createMachine({
  id: 'approval',
  initial: 'waiting',
  context: ({ input }) => ({ timeoutMs: input.timeoutMs }),
  states: {
    waiting: {
      after: { approvalTimeout: 'expired' },
      on: { 'approval.granted': 'approved' },
    },
    approved: { type: 'final' },
    expired: { type: 'final' },
  },
  output: ({ context }) => ({ timeoutMs: context.timeoutMs }),
});

export const approval = defineWorkflow({
  type: 'test-approval',
  version: 1,
  machine: approvalMachine,
  input: z.object({ timeoutMs: z.number().int().min(0) }),
  events: { 'approval.granted': z.object({}) },
  exampleInput: { timeoutMs: 1000 },
});

// --- a loop that re-enters an invoking state -------------------------------------------
const loopMachine = setup({
  types: { context: {} as { iteration: number; result?: unknown }, events: {} as { type: 'attempt.restarted' } },
  actors: { slowOnce: fromPromise<unknown, { iteration: number }>(async () => undefined) },
}).createMachine({
  id: 'loop',
  initial: 'working',
  context: { iteration: 1 },
  states: {
    working: {
      invoke: {
        id: 'work',
        src: 'slowOnce',
        input: ({ context }) => ({ iteration: context.iteration }),
        onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) },
      },
      on: {
        'attempt.restarted': { target: 'working', reenter: true, actions: assign({ iteration: ({ context }) => context.iteration + 1 }) },
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ result: context.result }),
});

export const loop = defineWorkflow({
  type: 'test-loop',
  version: 1,
  machine: loopMachine,
  input: z.object({}),
  events: { 'attempt.restarted': z.object({}) },
  exampleInput: {},
  activities: {
    slowOnce: {
      retry: { ...fast, maximumAttempts: 1 },
      run: async (input: { iteration: number }, ctx: ActivityContext) => {
        attempts.push({ activity: 'slowOnce', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt });
        // The first iteration answers while the second is still running: the state that
        // invoked `work` is active again, so only the engine's invocation check can refuse it.
        await new Promise((r) => setTimeout(r, input.iteration === 1 ? 1000 : 2000));
        return { iteration: input.iteration };
      },
    },
  },
});

// --- child workflow --------------------------------------------------------------------
const childMachine = setup({
  types: { input: {} as { n: number }, context: {} as { n: number; doubled?: number } },
  actors: { double: fromPromise<number, { n: number }>(async () => 0) },
}).createMachine({
  id: 'child',
  initial: 'computing',
  context: ({ input }) => ({ n: input.n }),
  states: {
    computing: {
      invoke: { id: 'double', src: 'double', input: ({ context }) => ({ n: context.n }), onDone: { target: 'done', actions: assign({ doubled: ({ event }) => event.output as number }) } },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ doubled: context.doubled }),
});

export const child = defineWorkflow({
  type: 'test-child',
  version: 1,
  machine: childMachine,
  input: z.object({ n: z.number() }),
  exampleInput: { n: 1 },
  activities: { double: { run: async (input: { n: number }) => input.n * 2 } },
});

const parentMachine = setup({
  types: { input: {} as { n: number }, context: {} as { n: number; fromChild?: unknown } },
  actors: { child: childMachine },
}).createMachine({
  id: 'parent',
  initial: 'delegating',
  context: ({ input }) => ({ n: input.n }),
  states: {
    delegating: {
      invoke: { id: 'kid', src: 'child', input: ({ context }) => ({ n: context.n }), onDone: { target: 'done', actions: assign({ fromChild: ({ event }) => event.output }) } },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({ fromChild: context.fromChild }),
});

export const parent = defineWorkflow({
  type: 'test-parent',
  version: 1,
  machine: parentMachine,
  input: z.object({ n: z.number() }),
  exampleInput: { n: 1 },
});

// --- concurrent signals ----------------------------------------------------------------
const counterMachine = setup({
  types: { input: {} as { limit: number }, context: {} as { count: number; limit: number }, events: {} as { type: 'counter.incremented' } },
  guards: { belowLimit: ({ context }) => context.count < context.limit },
}).createMachine({
  id: 'counter',
  initial: 'open',
  context: ({ input }) => ({ count: 0, limit: input.limit }),
  states: {
    open: { on: { 'counter.incremented': { guard: 'belowLimit', actions: assign({ count: ({ context }) => context.count + 1 }) } } },
  },
});

export const counter = defineWorkflow({
  type: 'test-counter',
  version: 1,
  machine: counterMachine,
  input: z.object({ limit: z.number().int() }),
  // Payloads are strict: the audit and hash-chain tests send a note and odd JSON values along.
  events: { 'counter.incremented': z.object({ note: z.string().optional(), big: z.number().optional(), nested: z.unknown().optional() }) },
  exampleInput: { limit: 10 },
});



// --- a parent whose child waits: for cancellation ---------------------------------------
const sponsorMachine = setup({ actors: { approval: approvalMachine } }).createMachine({
  id: 'sponsor',
  initial: 'awaitingApproval',
  states: {
    awaitingApproval: { invoke: { id: 'approval', src: 'approval', input: { timeoutMs: 60_000 }, onDone: 'done' } },
    done: { type: 'final' },
  },
});

export const sponsor = defineWorkflow({ type: 'test-sponsor', version: 1, machine: sponsorMachine, input: z.object({}), exampleInput: {} });



// --- slow activity, for losing Redis while it runs --------------------------------------
const slowMachine = setup({
  types: { input: {} as { ms: number }, context: {} as { ms: number } },
  actors: { work: fromPromise<unknown, { ms: number }>(async () => undefined) },
}).createMachine({
  id: 'slow',
  initial: 'working',
  context: ({ input }) => ({ ms: input.ms }),
  states: {
    working: { invoke: { id: 'work', src: 'work', input: ({ context }) => ({ ms: context.ms }), onDone: 'done' } },
    done: { type: 'final' },
  },
});

export const slow = defineWorkflow({
  type: 'test-slow',
  version: 1,
  machine: slowMachine,
  input: z.object({ ms: z.number().int().min(0) }),
  exampleInput: { ms: 10 },
  activities: {
    work: {
      retry: { initialIntervalMs: 100, maximumAttempts: 5 },
      run: async (input: { ms: number }, ctx: ActivityContext) => {
        attempts.push({ activity: 'work', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt });
        await new Promise((r) => setTimeout(r, input.ms));
        return { ok: true };
      },
    },
  },
});


// --- action-only transitions, a finished invocation that leaves no trace, a poisoned result --
export const effectsRun: { name: string; idempotencyKey: string; params: unknown }[] = [];

const quirksMachine = setup({
  types: {
    input: {} as { poison: boolean },
    context: {} as { poison: boolean; looked: boolean },
    events: {} as { type: 'ops.nudged' } | { type: 'review.closed' },
  },
  actors: { lookup: activity<{ poison: boolean }, { poison: boolean }>() },
  actions: { notifyOps: effect<{ reason: string }>() },
}).createMachine({
  id: 'quirks',
  initial: 'reviewing',
  context: ({ input }) => ({ poison: input.poison, looked: false }),
  states: {
    reviewing: {
      invoke: {
        id: 'lookup',
        src: 'lookup',
        input: ({ context }) => ({ poison: context.poison }),
        // Targetless: the state stays, so only the engine's table says nothing is outstanding.
        onDone: {
          actions: assign({
            looked: ({ event }) => {
              if (event.output.poison) throw new Error('the machine cannot use this result');
              return true;
            },
          }),
        },
      },
      on: {
        'ops.nudged': { actions: { type: 'notifyOps', params: { reason: 'nudged' } } },
        'review.closed': 'closed',
      },
    },
    closed: { type: 'final' },
  },
});

export const quirks = defineWorkflow({
  type: 'test-quirks',
  version: 1,
  machine: quirksMachine,
  input: z.object({ poison: z.boolean() }),
  events: { 'ops.nudged': z.object({}), 'review.closed': z.object({}) },
  exampleInput: { poison: false },
  activities: {
    lookup: {
      run: async (input: { poison: boolean }, ctx: ActivityContext) => {
        attempts.push({ activity: 'lookup', idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt });
        return { poison: input.poison };
      },
    },
  },
  effects: {
    notifyOps: {
      run: async (params: { reason: string }, ctx) => {
        effectsRun.push({ name: 'notifyOps', idempotencyKey: ctx.idempotencyKey, params });
      },
    },
  },
});

export const allTestDefinitions = [flaky, guarded, approval, loop, child, parent, counter, sponsor, slow, quirks];

// --- human tasks: a review, a second approval by someone else, an escalation ---------------
const reviewMachine = setup({
  types: {
    context: {} as { reviewer?: string; secondReviewer?: string },
    events: {} as
      | { type: 'review.approved'; reviewer: string; note: string }
      | { type: 'review.declined'; reviewer: string; note: string }
      | { type: 'secondReview.approved'; reviewer: string }
      | { type: 'secondReview.declined'; reviewer: string },
  },
}).createMachine({
  id: 'tasks',
  initial: 'review',
  context: {},
  states: {
    review: {
      meta: {
        task: humanTask({
          title: 'Review the application',
          candidateGroups: ['underwriters'],
          decisions: { approve: 'review.approved', decline: 'review.declined' },
          form: z.object({ note: z.string().min(1) }),
          principalField: 'reviewer',
          dueInMs: 200,
          reminderInMs: 100,
          escalation: { afterMs: 300, group: 'senior-underwriters' },
          fourEyes: {},
        }),
      },
      on: {
        'review.approved': { target: 'secondReview', actions: assign({ reviewer: ({ event }) => event.reviewer }) },
        'review.declined': 'declined',
      },
    },
    secondReview: {
      meta: {
        task: humanTask({
          title: 'Second approval',
          candidateGroups: ['underwriters'],
          decisions: { approve: 'secondReview.approved', decline: 'secondReview.declined' },
          principalField: 'reviewer',
          fourEyes: { distinctFromEarlierDecisions: true },
        }),
      },
      on: {
        'secondReview.approved': { target: 'approved', actions: assign({ secondReviewer: ({ event }) => event.reviewer }) },
        'secondReview.declined': 'declined',
      },
    },
    approved: { type: 'final' },
    declined: { type: 'final' },
  },
  output: ({ context }) => ({ reviewer: context.reviewer ?? null, secondReviewer: context.secondReviewer ?? null }),
});

export const reviewed = defineWorkflow({ type: 'test-reviewed', version: 1, machine: reviewMachine, input: z.object({}), exampleInput: {} });

// --- four-eyes over a workflow tree: a task in the parent, then the review machine as a child ---
const treeMachine = setup({
  types: { context: {} as { sponsor?: string } },
  actors: { review: reviewMachine },
}).createMachine({
  id: 'tree',
  initial: 'sponsoring',
  context: {},
  states: {
    sponsoring: {
      meta: {
        task: humanTask({
          title: 'Sponsor the application',
          candidateGroups: ['underwriters'],
          decisions: { approve: 'sponsor.approved' },
          principalField: 'reviewer',
          fourEyes: { excludeInitiator: true, distinctFromEarlierDecisions: true },
        }),
      },
      on: { 'sponsor.approved': { target: 'reviewing', actions: assign({ sponsor: ({ event }) => (event as unknown as { reviewer: string }).reviewer }) } },
    },
    reviewing: { invoke: { id: 'review', src: 'review', onDone: 'done' } },
    done: { type: 'final' },
  },
});

export const reviewedTree = defineWorkflow({ type: 'test-reviewed-tree', version: 1, machine: treeMachine, input: z.object({}), exampleInput: {} });
