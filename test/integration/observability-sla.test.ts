import { Writable } from 'node:stream';
import { createActor, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine';
import { slaRules, stateSlas } from '../../src/engine/definition/sla';
import { query } from '../../src/engine/store/sql';
import { createLogger } from '../../src/observability/loggers';
import { SlaMonitor, type SlaBreach } from '../../src/observability/sla-monitor';
import { sleep } from '../support/env';
import { startHarness, USER, type Harness } from '../support/harness';

/** A parent state and its child both promise a duration; a sibling promises nothing. */
const machine = setup({ types: { events: {} as { type: 'step.moved' } | { type: 'step.restarted' } } }).createMachine({
  id: 'sla',
  initial: 'review',
  states: {
    review: {
      meta: { sla: { maxDurationMs: 60_000 } },
      initial: 'first',
      states: {
        first: { meta: { sla: { maxDurationMs: 300 } }, on: { 'step.moved': 'second' } },
        second: { on: { 'step.restarted': 'first' } },
      },
    },
  },
});
const definition = defineWorkflow({ type: 'sla-probe', version: 1, machine, input: z.object({}), exampleInput: {}, events: { 'step.moved': z.object({}), 'step.restarted': z.object({}) } });

function memoryLog() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness('obs-sla', [definition]);
});
afterAll(() => h.close());

test('the SLA table is read from meta.sla, with dotted paths as in state_paths', () => {
  expect(stateSlas(machine)).toEqual([
    { path: 'review', maxDurationMs: 60_000 },
    { path: 'review.first', maxDurationMs: 300 },
  ]);
  expect(slaRules([definition])).toEqual([
    { type: 'sla-probe', version: 1, state: 'review', maxDurationMs: 60_000 },
    { type: 'sla-probe', version: 1, state: 'review.first', maxDurationMs: 300 },
  ]);
  // meta.sla changes no state: the machine still starts where it did.
  expect(createActor(machine).getSnapshot().value).toEqual({ review: 'first' });
});

test('a stay past its SLA is recorded and logged once, however many monitors look at once', async () => {
  await h.runtime.engine.start({ type: 'sla-probe', workflowId: 'sla-1', input: {} }, USER);
  await h.runtime.engine.start({ type: 'sla-probe', workflowId: 'sla-2', input: {} }, USER);
  await h.runtime.engine.signal('sla-2', { type: 'step.moved' }, USER);
  const rules = slaRules([definition]);
  const counted: SlaBreach[] = [];
  const a = memoryLog();
  const b = memoryLog();
  const monitor = (log: ReturnType<typeof memoryLog>) => new SlaMonitor({ dataSource: h.db.dataSource, rules, intervalMs: 60_000, logger: log.logger, onBreach: (x) => counted.push(x) });
  const [m1, m2] = [monitor(a), monitor(b)];

  expect(await m1.checkNow()).toEqual([]);
  await sleep(400);
  const [r1, r2] = await Promise.all([m1.checkNow(), m2.checkNow()]);
  const found = [...r1, ...r2];
  expect(found).toEqual([{ workflowId: 'sla-1', type: 'sla-probe', state: 'review.first', enteredAt: expect.any(String), maxDurationMs: 300, overdueByMs: expect.any(Number) }]);
  expect(found[0]!.overdueByMs).toBeGreaterThanOrEqual(0);
  expect(counted).toHaveLength(1);
  const warned = [...a.lines, ...b.lines];
  expect(warned).toEqual([
    expect.objectContaining({ level: 'warn', msg: 'workflow past its state SLA', workflowId: 'sla-1', type: 'sla-probe', state: 'review.first', overdueBy: expect.any(Number) }),
  ]);

  // Still overdue, already announced: nothing new.
  expect(await m1.checkNow()).toEqual([]);
  expect(await query(h.db.dataSource, 'SELECT workflow_id, state FROM sla_breach')).toEqual([{ workflow_id: 'sla-1', state: 'review.first' }]);

  // Leaving the state and coming back is a new stay, with its own SLA.
  await h.runtime.engine.signal('sla-1', { type: 'step.moved' }, USER);
  await h.runtime.engine.signal('sla-1', { type: 'step.restarted' }, USER);
  expect(await m1.checkNow()).toEqual([]);
  await sleep(400);
  expect((await m2.checkNow()).map((x) => x.workflowId)).toEqual(['sla-1']);
  expect(counted).toHaveLength(2);
});

test('the application role may record breaches', async () => {
  const grants = await query(
    h.db.dataSource,
    `SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = 'statera_app' AND table_name = 'sla_breach' ORDER BY 1`,
  );
  expect(grants.map((g: any) => g.privilege_type)).toEqual(expect.arrayContaining(['INSERT', 'SELECT']));
});
