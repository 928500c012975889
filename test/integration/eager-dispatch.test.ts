import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine';
import type { ActivityAttemptObservation } from '../../src/engine/telemetry/telemetry';
import { NO_TELEMETRY } from '../../src/engine/telemetry/telemetry';
import { startHarness, USER, type Harness } from '../support/harness';
import { REDIS_URL } from '../support/env';

// Three activities in a row; `slowMs` makes each last that long, `failFirst` fails each one's first attempt.
const runs: { key: string; attempt: number }[] = [];
const threeSteps = defineWorkflow({
  type: 'test-eager',
  version: 1,
  machine: setup({
    types: { input: {} as { slowMs: number; failFirst: boolean }, context: {} as { slowMs: number; failFirst: boolean } },
    actors: { step: fromPromise<unknown, { slowMs: number; failFirst: boolean }>(async () => undefined) },
  }).createMachine({
    id: 'eager',
    context: ({ input }) => input,
    initial: 's1',
    states: Object.fromEntries([
      ...[1, 2, 3].map((i) => [`s${i}`, { invoke: { id: `s${i}`, src: 'step' as const, input: ({ context }: any) => context, onDone: i < 3 ? `s${i + 1}` : 'done' } }]),
      ['done', { type: 'final' as const }],
    ]),
  }),
  input: z.object({ slowMs: z.number(), failFirst: z.boolean() }),
  exampleInput: { slowMs: 0, failFirst: false },
  activities: {
    step: {
      retry: { initialIntervalMs: 50, maximumAttempts: 3 },
      startToCloseTimeoutMs: 10_000,
      run: async (input: { slowMs: number; failFirst: boolean }, ctx) => {
        runs.push({ key: ctx.idempotencyKey, attempt: ctx.attempt });
        if (input.slowMs > 0) await new Promise((r) => setTimeout(r, input.slowMs));
        if (input.failFirst && ctx.attempt === 1) throw new Error('first attempt fails');
        return { attempt: ctx.attempt };
      },
    },
  },
});

const observed: ActivityAttemptObservation[] = [];
const telemetry = { ...NO_TELEMETRY, activityAttempt: (o: ActivityAttemptObservation) => void observed.push(o) };

let h: Harness;
let redis: Redis;
let queue: Queue;
beforeAll(async () => {
  // The sweeper looks for stale activities every 100 ms: a leased one it must leave alone.
  h = await startHarness('eager', [threeSteps], { telemetry, sweepIntervalMs: 100, relay: { staleActivityMs: 100 } });
  redis = new Redis(REDIS_URL);
  queue = new Queue('activities', { connection: redis, prefix: h.prefix });
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await h.close();
});

const mine = (id: string) => runs.filter((r) => r.key.startsWith(`${id}/`));
const dispatchOf = (id: string) => observed.filter((o) => o.workflowId === id).map((o) => o.dispatch);

test('activities scheduled by a process with free slots run there: leased rows, no outbox row, no BullMQ job', async () => {
  await h.runtime.engine.start({ type: 'test-eager', workflowId: 'eager-1', input: { slowMs: 0, failFirst: false } }, USER);
  expect((await h.until('eager-1', ['completed', 'failed'])).status).toBe('completed');
  expect(mine('eager-1').map((r) => r.key)).toEqual(['eager-1/s1/1', 'eager-1/s2/1', 'eager-1/s3/1']);
  expect(dispatchOf('eager-1')).toEqual(['eager', 'eager', 'eager']);
  const rows = await h.db.dataSource.query(`SELECT id, lease_until FROM activity WHERE workflow_id = 'eager-1' ORDER BY child_id`);
  expect(rows).toHaveLength(3);
  for (const r of rows) {
    expect(r.lease_until).not.toBeNull();
    expect(await queue.getJobState(`a-${r.id}`)).toBe('unknown');
  }
  const [{ n }] = await h.db.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE workflow_id = 'eager-1' AND queue = 'activities'`);
  expect(n).toBe(0);
});

test('an eager activity that outlives the stale-activity age is not sent again while its lease holds', async () => {
  await h.runtime.engine.start({ type: 'test-eager', workflowId: 'eager-slow', input: { slowMs: 600, failFirst: false } }, USER);
  expect((await h.until('eager-slow', ['completed', 'failed'])).status).toBe('completed');
  // Six sweeps or more ran during each step: none re-sent it.
  expect(mine('eager-slow').map((r) => r.attempt)).toEqual([1, 1, 1]);
});

test('a failed eager attempt is recorded and handed to BullMQ, which runs the retry with the same key', async () => {
  await h.runtime.engine.start({ type: 'test-eager', workflowId: 'eager-retry', input: { slowMs: 0, failFirst: true } }, USER);
  expect((await h.until('eager-retry', ['completed', 'failed'])).status).toBe('completed');
  expect(mine('eager-retry')).toEqual([1, 2, 3].flatMap((i) => [1, 2].map((attempt) => ({ key: `eager-retry/s${i}/1`, attempt }))));
  expect(dispatchOf('eager-retry')).toEqual(['eager', 'queue', 'eager', 'queue', 'eager', 'queue']);
  const history = await h.history('eager-retry');
  expect(history.filter((r) => r.kind === 'activity.attempt.failed').map((r) => r.data.attempt)).toEqual([1, 1, 1]);
  const rows = await h.db.dataSource.query(`SELECT id, lease_until, attempts FROM activity WHERE workflow_id = 'eager-retry'`);
  for (const r of rows) {
    expect(r.lease_until).toBeNull();
    expect(await queue.getJobState(`a-${r.id}`)).toBe('completed');
  }
});

test('a slot is free again once its attempt returns: one slot runs every step of a workflow eagerly', async () => {
  // The transaction that reports s1 leases s2; it must not find s1 still holding the slot while s1's result waits for that very commit.
  const one = await startHarness('eager-one', [threeSteps], { telemetry, worker: { eagerActivities: 1 } });
  try {
    await one.runtime.engine.start({ type: 'test-eager', workflowId: 'one-slot', input: { slowMs: 0, failFirst: false } }, USER);
    expect((await one.until('one-slot', ['completed', 'failed'])).status).toBe('completed');
    expect(dispatchOf('one-slot')).toEqual(['eager', 'eager', 'eager']);
  } finally {
    await one.close();
  }
});

test('with no free eager slot an activity goes through BullMQ as before', async () => {
  await h.runtime.stop();
  const other = await startHarness('eager-off', [threeSteps], { telemetry, worker: { lockDurationMs: 5000, stalledIntervalMs: 1000, eagerActivities: 0 } });
  try {
    await other.runtime.engine.start({ type: 'test-eager', workflowId: 'queued-1', input: { slowMs: 0, failFirst: false } }, USER);
    expect((await other.until('queued-1', ['completed', 'failed'])).status).toBe('completed');
    expect(dispatchOf('queued-1')).toEqual(['queue', 'queue', 'queue']);
    const [{ n }] = await other.db.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE workflow_id = 'queued-1' AND queue = 'activities'`);
    expect(n).toBe(3);
  } finally {
    await other.close();
  }
});
