import { fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { Redis } from 'ioredis';
import { defineWorkflow, type ActivityContext } from '../../src/engine';

/**
 * An activity that records each attempt in Redis (under the test's prefix) so a test can
 * see attempts made in other processes; it hangs in a process started with STATERA_TEST_HANG=1.
 */
let redis: Redis | undefined;
const prefix = () => process.env.STATERA_TEST_MARKER_PREFIX ?? 'markers';

const crashMachine = setup({
  types: { context: {} as { result?: unknown } },
  actors: { settle: fromPromise<unknown, Record<string, never>>(async () => undefined) },
}).createMachine({
  id: 'crash',
  initial: 'settling',
  states: {
    settling: { invoke: { id: 'settle', src: 'settle', input: {}, onDone: 'settled' } },
    settled: { type: 'final' },
  },
  output: () => ({ settled: true }),
});

export const crash = defineWorkflow({
  type: 'test-crash',
  version: 1,
  machine: crashMachine,
  input: z.object({}),
  exampleInput: {},
  activities: {
    settle: {
      retry: { initialIntervalMs: 50, maximumAttempts: 3 },
      startToCloseTimeoutMs: 30_000,
      run: async (_input: unknown, ctx: ActivityContext) => {
        redis ??= new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
        await redis.rpush(`${prefix()}:attempts`, JSON.stringify({ pid: process.pid, key: ctx.idempotencyKey, attempt: ctx.attempt }));
        if (process.env.STATERA_TEST_HANG === '1') await new Promise(() => undefined);
        return { pid: process.pid };
      },
    },
  },
});

const eagerCrashMachine = setup({
  actors: {
    prepare: fromPromise<unknown, Record<string, never>>(async () => undefined),
    settle: fromPromise<unknown, Record<string, never>>(async () => undefined),
  },
}).createMachine({
  id: 'crashEager',
  initial: 'preparing',
  states: {
    // Run from BullMQ by a worker; the worker that applies its result runs `settle` eagerly.
    preparing: { invoke: { id: 'prepare', src: 'prepare', input: {}, onDone: 'settling' } },
    settling: { invoke: { id: 'settle', src: 'settle', input: {}, onDone: 'settled' } },
    settled: { type: 'final' },
  },
});

/** `test-crash` with a step before: the activity that hangs is one the worker process runs eagerly, under a lease. */
export const crashEager = defineWorkflow({
  type: 'test-crash-eager',
  version: 1,
  machine: eagerCrashMachine,
  input: z.object({}),
  exampleInput: {},
  activities: {
    prepare: { run: async () => ({ prepared: true }) },
    settle: { ...crash.activities!.settle, startToCloseTimeoutMs: 3000 },
  },
});
