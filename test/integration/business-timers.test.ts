import { setup } from 'xstate';
import { z } from 'zod';
import { businessDays, defineWorkflow } from '../../src/engine';
import { assertCalendarsKnown, businessInstant, Calendars, TARGET2 } from '../../src/engine/definition/calendars';
import { query } from '../../src/engine/store/sql';
import { buildStatechartModel } from '../../src/diagrams/statechart-model';
import { startHttpApp, type HttpHarness } from '../support/http-app';

// A timer in business days: one TARGET2 business day after Thursday 2 April 2026 is Tuesday
// 7 April (Good Friday, the weekend and Easter Monday are closing days); the engine sets the
// timer's due time from the calendar, and the diagram writes the timer out as such.

const machine = setup({ delays: { cutoff: businessDays({ calendar: 'TARGET2', days: 1, at: '14:00' }) } }).createMachine({
  id: 'cutoff',
  initial: 'waiting',
  states: { waiting: { after: { cutoff: 'late' }, on: { 'settled': 'done' } }, late: { type: 'final' }, done: { type: 'final' } },
});
const cutoff = defineWorkflow({ type: 'test-cutoff', version: 1, machine, input: z.object({}), events: { settled: z.object({}) }, exampleInput: {} });

let h: HttpHarness;
beforeAll(async () => {
  h = await startHttpApp('business_timers', [cutoff]);
}, 60_000);
afterAll(() => h?.close());

test('a business-day count skips the holidays and weekends of its calendar, at the wall-clock time asked', () => {
  expect(businessInstant(TARGET2, new Date('2026-04-02T09:00:00Z'), 1, '14:00').toISOString()).toBe('2026-04-07T12:00:00.000Z');
  expect(businessInstant(TARGET2, new Date('2026-12-23T16:00:00Z'), 2, '14:00').toISOString()).toBe('2026-12-28T13:00:00.000Z');
  // Zero days: today's 14:00 if still ahead on a business day, else the next business day's.
  expect(businessInstant(TARGET2, new Date('2026-04-01T10:00:00Z'), 0, '14:00').toISOString()).toBe('2026-04-01T12:00:00.000Z');
  expect(businessInstant(TARGET2, new Date('2026-04-02T13:00:00Z'), 0, '14:00').toISOString()).toBe('2026-04-07T12:00:00.000Z');
  expect(() => businessDays({ calendar: 'TARGET2', days: 1, at: '2pm' })).toThrow('at must be HH:MM');
});

test('the engine sets the timer at the business instant the calendar gives, and the diagram says so', async () => {
  const before = new Date();
  expect((await h.request('POST', '/v1/workflows', { type: 'test-cutoff', workflowId: 'cut-1', input: {} })).status).toBe(201);
  const timers = await query<{ due_at: Date; status: string }>(h.db.dataSource, `SELECT due_at, status FROM timer WHERE workflow_id = 'cut-1'`);
  const w = await h.request('GET', '/v1/workflows/cut-1');
  expect({ timers: timers.length, status: w.body.status, error: w.body.error, incidents: w.body.incidents }).toMatchObject({ timers: 1, status: 'waiting' });
  const [timer] = timers;
  const expected = businessInstant(TARGET2, before, 1, '14:00').getTime();
  expect(Math.abs(new Date(timer.due_at).getTime() - expected)).toBeLessThan(5_000);
  const edge = buildStatechartModel(cutoff).edges.find((e) => e.eventType.startsWith('xstate.after.'));
  expect(edge?.event).toBe('after 1 TARGET2 business day at 14:00 (cutoff)');
});

test('a definition counting days of a calendar the deployment does not know is refused at start', () => {
  const unknown = setup({ delays: { d: businessDays({ calendar: 'MARS', days: 1 }) } }).createMachine({ id: 'x', initial: 'a', states: { a: { after: { d: 'b' } }, b: { type: 'final' } } });
  const mars = defineWorkflow({ type: 'test-mars', version: 1, machine: unknown, input: z.object({}), exampleInput: {} });
  expect(() => assertCalendarsKnown([mars], new Calendars())).toThrow('test-mars@1: delay d counts business days of MARS, which is no calendar here (the calendars: DE, TARGET2; more with CALENDARS)');
  expect(() => assertCalendarsKnown([cutoff], new Calendars())).not.toThrow();
});
