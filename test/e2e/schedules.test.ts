import { query } from '../../src/engine/store/sql';
import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { allTestDefinitions } from '../support/test-definitions';

// Schedules through the REST API, fired by the application's own pass (every second): overlap
// policies with a run that stays live, an outage replayed within the catch-up window exactly
// once, pause, trigger and backfill.

let h: HttpHarness;
let ops: string;

beforeAll(async () => {
  h = await startHttpApp('schedules', allTestDefinitions);
  ops = await h.createKey({ id: 'sched-ops', roles: ['operator'] });
}, 60_000);
afterAll(() => h?.close());

/** test-approval waits for its signal for an hour: a run that stays live. */
const waits = { type: 'test-approval', input: { timeoutMs: 3_600_000 } };
const get = async (id: string) => (await h.as(ops)('GET', `/v1/schedules/${id}`)).body;
const runs = async (id: string) => (await get(id)).recentRuns as { outcome: string; workflowId: string | null; reason: string | null; nominalAt: string }[];

test('validation names the field: a bad cron, an unknown time zone, an input its type refuses, an unknown type; ids are unique', async () => {
  const as = h.as(ops);
  const cron = await as('POST', '/v1/schedules', { id: 's-bad', ...waits, spec: { cron: 'every day' } });
  expect(cron.status).toBe(400);
  expect(cron.body.errors[0].field).toBe('spec.cron');
  const tz = await as('POST', '/v1/schedules', { id: 's-bad', ...waits, spec: { cron: '0 9 * * *' }, timezone: 'Mars/Olympus' });
  expect(tz.body.errors).toEqual([{ field: 'timezone', message: expect.stringContaining('not a time zone') }]);
  const input = await as('POST', '/v1/schedules', { id: 's-bad', type: 'test-approval', input: { timeoutMs: 'soon' }, spec: { everyMs: 60_000 } });
  expect(input.status).toBe(400);
  expect(input.body.errors[0].field).toBe('input.timeoutMs');
  expect((await as('POST', '/v1/schedules', { id: 's-bad', type: 'no-such', input: {}, spec: { everyMs: 60_000 } })).status).toBe(404);
  const calendar = await as('POST', '/v1/schedules', { id: 's-bad', ...waits, spec: { cron: '0 14 * * *', calendar: 'MARS' } });
  expect(calendar.body.errors).toEqual([{ field: 'spec.calendar', message: 'no calendar MARS; the calendars: DE, TARGET2 (more with CALENDARS)' }]);
  const business = await as('POST', '/v1/schedules', { id: 's-t2', ...waits, spec: { cron: '0 14 * * *', calendar: 'TARGET2' }, timezone: 'Europe/Berlin' });
  expect(business.status).toBe(201);
  for (const t of business.body.nextFires) expect([0, 6]).not.toContain(new Date(t).getUTCDay());
  await as('POST', '/v1/schedules/s-t2/pause', { reason: 'only looked at' });
  const made = await as('POST', '/v1/schedules', { id: 's-dst', ...waits, spec: { cron: '0 9 * * *' }, timezone: 'Europe/Berlin', paused: true });
  expect(made.status).toBe(201);
  expect(made.body).toMatchObject({ id: 's-dst', overlap: 'skip', catchupWindowMs: 3_600_000, paused: true, nextFires: [] });
  expect((await as('POST', '/v1/schedules', { id: 's-dst', ...waits, spec: { everyMs: 60_000 } })).status).toBe(409);
  const resumed = await as('POST', '/v1/schedules/s-dst/resume', { reason: 'go' });
  expect(resumed.body.nextFires).toHaveLength(5);
  for (const t of resumed.body.nextFires) expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(new Date(t))).toBe('09:00');
  expect((await as('POST', '/v1/schedules/s-dst/pause', { reason: 'not now' })).body).toMatchObject({ paused: true, note: 'paused by principal:sched-ops: not now' });
});

test('overlap skip: while the first run is live, later fires are skipped and say why', async () => {
  expect((await h.as(ops)('POST', '/v1/schedules', { id: 's-skip', ...waits, spec: { everyMs: 1000 } })).status).toBe(201);
  await waitFor(async () => (await runs('s-skip')).filter((r) => r.outcome === 'skipped').length >= 2, 'two skipped fires', 15_000, 200);
  await h.as(ops)('POST', '/v1/schedules/s-skip/pause', { reason: 'enough' });
  const all = await runs('s-skip');
  const started = all.filter((r) => r.outcome === 'started');
  expect(started).toHaveLength(1);
  expect(all.find((r) => r.outcome === 'skipped')!.reason).toBe(`the previous run ${started[0].workflowId} is still waiting (overlap: skip)`);
  expect((await h.as(ops)('GET', `/v1/workflows/${started[0].workflowId}`)).body).toMatchObject({ type: 'test-approval', status: 'waiting' });
});

test('overlap allow starts every fire; cancel-other cancels the run before; buffer-one keeps one fire until the run ends', async () => {
  const as = h.as(ops);
  for (const overlap of ['allow', 'cancel-other', 'buffer-one']) expect((await as('POST', '/v1/schedules', { id: `s-${overlap}`, ...waits, spec: { everyMs: 1000 }, overlap })).status).toBe(201);
  await waitFor(async () => (await runs('s-allow')).filter((r) => r.outcome === 'started').length >= 3, 'three started fires (allow)', 15_000, 200);
  await waitFor(async () => (await runs('s-cancel-other')).filter((r) => r.outcome === 'started').length >= 3, 'three started fires (cancel-other)', 15_000, 200);
  await waitFor(async () => (await runs('s-buffer-one')).some((r) => r.outcome === 'buffered'), 'a buffered fire', 15_000, 200);
  for (const id of ['s-allow', 's-cancel-other']) await as('POST', `/v1/schedules/${id}/pause`, { reason: 'enough' });
  const cancelled = (await runs('s-cancel-other')).filter((r) => r.outcome === 'started').slice(1); // newest first: all but the newest
  for (const r of cancelled) await waitFor(async () => (await as('GET', `/v1/workflows/${r.workflowId}`)).body.status === 'cancelled', `${r.workflowId} cancelled by the next fire`);
  // buffer-one: the first run is live, one fire waits; ending the run releases it.
  const before = await get('s-buffer-one');
  expect(before.bufferedFire).not.toBeNull();
  const first = (before.recentRuns as any[]).filter((r) => r.outcome === 'started');
  expect(first).toHaveLength(1);
  expect((await as('POST', `/v1/workflows/${first[0].workflowId}/events`, { type: 'approval.granted' })).status).toBe(200);
  await waitFor(async () => (await runs('s-buffer-one')).some((r) => r.outcome === 'started' && r.reason === 'buffered'), 'the buffered fire to start', 15_000, 200);
  await as('POST', '/v1/schedules/s-buffer-one/pause', { reason: 'enough' });
});

test('after a 30-minute outage the fires inside the catch-up window run exactly once; older ones are recorded as skipped', async () => {
  const as = h.as(ops);
  expect((await as('POST', '/v1/schedules', { id: 's-outage', ...waits, spec: { everyMs: 300_000 }, overlap: 'allow', catchupWindowMs: 600_000 })).status).toBe(201);
  // As if it had been created 32 minutes ago and nothing ran since: fires at -27, -22, -17, -12, -7 and -2 minutes are due.
  await query(h.db.dataSource, `UPDATE schedule SET anchor_at = now() - interval '32 minutes', last_nominal_at = now() - interval '32 minutes', next_fire_at = now() - interval '27 minutes' WHERE id = 's-outage'`);
  await waitFor(async () => (await runs('s-outage')).length >= 6, 'the missed fires worked out', 15_000, 200);
  // A few more passes: nothing is made twice.
  await new Promise((r) => setTimeout(r, 2500));
  const all = await runs('s-outage');
  expect(all.filter((r) => r.outcome === 'started')).toHaveLength(2);
  expect(all.filter((r) => r.outcome === 'skipped')).toHaveLength(4);
  expect(all.filter((r) => r.outcome === 'skipped').every((r) => /beyond the catch-up window of 600 s/.test(r.reason ?? ''))).toBe(true);
  const started = all.filter((r) => r.outcome === 'started').map((r) => r.workflowId!);
  const [{ n }] = await query<{ n: string }>(h.db.dataSource, `SELECT count(*) AS n FROM workflow_instance WHERE id = ANY($1)`, [started]);
  expect(Number(n)).toBe(2);
  expect((await get('s-outage')).nextFires[0]).toBe(new Date(new Date(all[0].nominalAt).getTime() + 300_000).toISOString());
});

test('trigger fires now; backfill starts the past fires that did not run, once; another tenant sees none of it', async () => {
  const as = h.as(ops);
  expect((await as('POST', '/v1/schedules', { id: 's-manual', ...waits, spec: { everyMs: 600_000 }, overlap: 'allow', paused: true })).status).toBe(201);
  const fired = await as('POST', '/v1/schedules/s-manual/trigger');
  expect(fired.body).toMatchObject({ outcome: 'started', reason: 'triggered', workflowId: expect.stringMatching(/^s-manual-\d{8}T\d{6}Z$/) });
  await query(h.db.dataSource, `UPDATE schedule SET anchor_at = now() - interval '35 minutes' WHERE id = 's-manual'`);
  const window = { from: new Date(Date.now() - 35 * 60_000).toISOString(), to: new Date().toISOString() };
  const filled = await as('POST', '/v1/schedules/s-manual/backfill', window);
  expect(filled.status).toBe(200);
  expect(filled.body.started).toBe(3);
  const again = await as('POST', '/v1/schedules/s-manual/backfill', window);
  expect(again.body.runs.map((r: any) => r.workflowId)).toEqual(filled.body.runs.map((r: any) => r.workflowId));
  const [{ n }] = await query<{ n: string }>(h.db.dataSource, `SELECT count(*) AS n FROM workflow_instance WHERE id LIKE 's-manual-%'`);
  expect(Number(n)).toBe(4);
  expect((await as('POST', '/v1/schedules/s-manual/backfill', { from: window.to, to: window.from })).body.errors[0].field).toBe('to');
  const other = await h.createKey({ id: 'sched-other', roles: ['operator'], tenant: 'elsewhere' });
  expect((await h.as(other)('GET', '/v1/schedules')).body.items).toEqual([]);
  expect((await h.as(other)('GET', '/v1/schedules/s-manual')).status).toBe(404);
  expect((await h.as(other)('POST', '/v1/schedules/s-manual/trigger')).status).toBe(404);
  expect((await as('DELETE', '/v1/schedules/s-manual')).status).toBe(204);
  expect((await as('GET', '/v1/schedules/s-manual')).status).toBe(404);
});
