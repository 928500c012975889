import { setup, fromPromise } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { waitFor } from '../support/env';

// An activity whose first attempt fails and whose retry is a minute away: what an operator sees meanwhile.
const slowRetry = defineWorkflow({
  type: 'test-slow-retry',
  version: 1,
  machine: setup({ actors: { charge: fromPromise<unknown>(async () => undefined) } }).createMachine({
    id: 'slowRetry',
    initial: 'charging',
    states: { charging: { invoke: { id: 'chargeCard', src: 'charge', onDone: 'done' } }, done: { type: 'final' } },
  }),
  input: z.object({}),
  exampleInput: {},
  activities: {
    charge: {
      retry: { initialIntervalMs: 60_000, maximumAttempts: 4 },
      run: async (_input: unknown, ctx) => {
        if (ctx.attempt === 1) throw new Error('card processor timed out');
        return {};
      },
    },
  },
});

let api: HttpHarness;
beforeAll(async () => {
  api = await startHttpApp('outstanding', [slowRetry]);
});
afterAll(() => api.close());

test('a retrying activity is listed with its attempts out of its limit, the last error, and when the next attempt is due', async () => {
  expect((await api.request('POST', '/v1/workflows', { type: 'test-slow-retry', workflowId: 'retry-1', input: {} })).status).toBe(201);
  const outstanding = await waitFor(async () => {
    const res = await api.request('GET', '/v1/workflows/retry-1/outstanding');
    return res.body.activities?.[0]?.attempts === 1 ? res.body : undefined;
  }, 'the first attempt to fail');
  const [a] = outstanding.activities;
  expect(a).toMatchObject({ name: 'charge', activityId: 'chargeCard', kind: 'activity', status: 'scheduled', attempts: 1, attemptLimit: 4, lastError: { message: 'card processor timed out' } });
  const history = (await api.request('GET', '/v1/workflows/retry-1/history')).body.items;
  const failed = history.find((r: any) => r.kind === 'activity.attempt.failed');
  expect(Date.parse(a.nextRetryAt) - Date.parse(failed.recordedAt)).toBe(60_000);
});
