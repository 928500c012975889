import { fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, NonRetryableError } from '../../src/engine';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { sleep, waitFor } from '../support/env';

/** Waits for a signal in a state whose SLA is 1.5 s. */
const waiting = defineWorkflow({
  type: 'filters-waiting',
  version: 1,
  machine: setup({ types: { events: {} as { type: 'wait.ended' } } }).createMachine({
    id: 'waiting',
    initial: 'held',
    states: {
      held: { meta: { sla: { maxDurationMs: 1500 } }, on: { 'wait.ended': 'done' } },
      done: { type: 'final' },
    },
  }),
  input: z.object({}),
  events: { 'wait.ended': z.object({}) },
  exampleInput: {},
});

/** Its partner is down: the first attempt fails and the next one is a minute away. */
const stuck = defineWorkflow({
  type: 'filters-stuck',
  version: 1,
  machine: setup({
    types: { input: {} as { refuse: boolean }, context: {} as { refuse: boolean } },
    actors: { callPartner: fromPromise<unknown, { refuse: boolean }>(async () => undefined) },
  }).createMachine({
    id: 'stuck',
    initial: 'calling',
    context: ({ input }) => ({ refuse: input.refuse }),
    states: {
      // A refusal fails it on purpose (a final state tagged `failed`).
      calling: { invoke: { id: 'partner', src: 'callPartner', input: ({ context }) => ({ refuse: context.refuse }), onDone: 'done', onError: 'refused' } },
      done: { type: 'final' },
      refused: { type: 'final', tags: ['failed'] },
    },
  }),
  input: z.object({ refuse: z.boolean() }),
  exampleInput: { refuse: false },
  activities: {
    callPartner: {
      retry: { initialIntervalMs: 60_000, maximumAttempts: 5 },
      run: async (input: { refuse: boolean }) => {
        if (input.refuse) throw new NonRetryableError('account closed');
        throw new Error('partner unavailable');
      },
    },
  },
});

let api: HttpHarness;
beforeAll(async () => {
  api = await startHttpApp('filters', [waiting, stuck], { env: { ACTIVITY_RETRY_ALERT_MS: '300' } });
});
afterAll(() => api.close());

const list = async (query: string) => {
  const res = await api.request('GET', `/v1/workflows?${query}`);
  expect(res.status).toBe(200);
  return res.body as { items: any[]; nextCursor: string | null };
};
const start = (type: string, workflowId: string, input: unknown = {}) => api.request('POST', '/v1/workflows', { type, workflowId, input });

test('overdue=true lists the instances past a state SLA, saying which state and by how long, page by page', async () => {
  const before = new Date().toISOString();
  for (const id of ['late-1', 'late-2']) expect((await start('filters-waiting', id)).status).toBe(201);
  expect((await start('filters-waiting', 'on-time')).status).toBe(201);
  await api.request('POST', '/v1/workflows/on-time/events', { type: 'wait.ended' });
  const notYet = (await list('overdue=true')).items.map((w) => w.id);
  // Unless this machine is so slow that 1.5 s went by already.
  if (Date.now() - Date.parse(before) < 1400) expect(notYet).toEqual([]);

  await sleep(Math.max(0, Date.parse(before) + 1700 - Date.now()));
  const all = await list('overdue=true&type=filters-waiting');
  expect(all.items.map((w) => w.id)).toEqual(['late-2', 'late-1']);
  for (const w of all.items) {
    expect(w.overdue).toEqual([{ state: 'held', enteredAt: expect.any(String), maxDurationMs: 1500, overdueByMs: expect.any(Number) }]);
    expect(w.overdue[0].overdueByMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(w.overdue[0].enteredAt)).toBeGreaterThanOrEqual(Date.parse(before) - 1000);
  }
  // An ordinary listing does not compute it.
  expect((await list('type=filters-waiting')).items[0]).not.toHaveProperty('overdue');

  const first = await list('overdue=true&limit=1');
  expect(first.items.map((w) => w.id)).toEqual(['late-2']);
  const second = await list(`overdue=true&limit=1&cursor=${first.nextCursor}`);
  expect(second.items.map((w) => w.id)).toEqual(['late-1']);
  expect(second.nextCursor).toBeNull();

  // Leaving the state ends it.
  await api.request('POST', '/v1/workflows/late-1/events', { type: 'wait.ended' });
  expect((await list('overdue=true')).items.map((w) => w.id)).toEqual(['late-2']);
});

test('retrying=true lists the instances whose activity has been retrying longer than the threshold; status=failed the failed ones', async () => {
  expect((await start('filters-stuck', 'stuck-1', { refuse: false })).status).toBe(201);
  expect((await start('filters-stuck', 'refused-1', { refuse: true })).status).toBe(201);
  await waitFor(async () => (await api.request('GET', '/v1/workflows/refused-1')).body.status === 'failed', 'refused-1 to fail');
  const listed = await waitFor(async () => {
    const page = await list('retrying=true');
    return page.items.length > 0 ? page : undefined;
  }, 'stuck-1 to be listed as retrying', 10_000, 100);
  expect(listed.items.map((w) => w.id)).toEqual(['stuck-1']);
  expect(listed.items[0].retrying).toEqual([{ activityId: 'partner', activity: 'callPartner', attempts: 1, since: expect.any(String), lastError: 'partner unavailable' }]);
  expect((await list('status=failed')).items.map((w) => w.id)).toEqual(['refused-1']);
  expect((await list('retrying=true&type=filters-waiting')).items).toEqual([]);
});

test('createdAfter and createdBefore bound the creation time, with the cursor', async () => {
  await sleep(20);
  const from = new Date().toISOString();
  for (const id of ['window-1', 'window-2', 'window-3']) expect((await start('filters-waiting', id)).status).toBe(201);
  await sleep(20);
  const to = new Date().toISOString();
  expect((await start('filters-waiting', 'after-window')).status).toBe(201);

  const page1 = await list(`createdAfter=${from}&createdBefore=${to}&limit=2`);
  expect(page1.items.map((w) => w.id)).toEqual(['window-3', 'window-2']);
  const page2 = await list(`createdAfter=${from}&createdBefore=${to}&limit=2&cursor=${page1.nextCursor}`);
  expect(page2.items.map((w) => w.id)).toEqual(['window-1']);
  expect(page2.nextCursor).toBeNull();
  expect((await list(`createdAfter=${to}`)).items.map((w) => w.id)).toEqual(['after-window']);
  // With an offset, the same instant.
  const offset = to.replace('Z', '+00:00');
  expect((await list(`createdAfter=${encodeURIComponent(offset)}`)).items.map((w) => w.id)).toEqual(['after-window']);
});

test('bad filter values are 400 problem+json naming the parameter', async () => {
  for (const [query, field] of [
    ['createdAfter=yesterday', 'createdAfter'],
    ['createdBefore=2026-13-01T00:00:00Z', 'createdBefore'],
    ['createdAfter=2026-01-31', 'createdAfter'],
    ['overdue=yes', 'overdue'],
    ['retrying=1', 'retrying'],
  ]) {
    const res = await api.request('GET', `/v1/workflows?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: any) => e.field)).toEqual([field]);
  }
});

test('paging keeps PostgreSQL\'s microseconds: rows of one millisecond are each listed once', async () => {
  const ids = ['usec-a', 'usec-b', 'usec-c', 'usec-d'];
  for (const id of ids) expect((await api.request('POST', '/v1/workflows', { type: 'filters-waiting', workflowId: id, input: {} })).status).toBe(201);
  // Four instances within one millisecond, apart by microseconds, in an order their ids do not follow.
  const micros = ['000300', '000100', '000400', '000200'];
  for (const [i, id] of ids.entries()) {
    await api.db.dataSource.query(`UPDATE workflow_instance SET created_at = $2::timestamptz WHERE id = $1`, [id, `2020-01-01T00:00:00.${micros[i]}Z`]);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: any = (await api.request('GET', `/v1/workflows?type=filters-waiting&createdBefore=2020-01-02T00:00:00Z&limit=1${cursor ? `&cursor=${cursor}` : ''}`)).body;
    seen.push(...page.items.map((w: any) => w.id));
    cursor = page.nextCursor;
  } while (cursor);
  expect(seen).toEqual(['usec-c', 'usec-a', 'usec-d', 'usec-b']);
});
