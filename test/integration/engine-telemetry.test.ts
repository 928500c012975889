import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ActivityAttemptObservation, EngineTelemetry, StepObservation, TimerObservation } from '../../src/engine/telemetry/telemetry';
import { query } from '../../src/engine/store/sql';
import { startHarness, USER, type Harness } from '../support/harness';
import { approval, flaky } from '../support/test-definitions';

// The engine's spans go to whatever provider the process registered (with its context
// manager and W3C propagator); here, one that keeps them in memory.
const spans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
provider.register();

const seen = { steps: [] as StepObservation[], attempts: [] as ActivityAttemptObservation[], timers: [] as TimerObservation[] };
const recorder: EngineTelemetry = {
  stepCommitted: (o) => seen.steps.push(o),
  activityAttempt: (o) => seen.attempts.push(o),
  timerFired: (o) => seen.timers.push(o),
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness('telemetry', [flaky, approval], { telemetry: recorder });
});
afterAll(async () => {
  await h.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

test('each attempt is observed with its outcome, and the steps from start to completion with the time spent per state', async () => {
  await h.runtime.engine.start({ type: 'test-flaky', workflowId: 'observed', input: { failures: 2 } }, USER);
  await h.until('observed', ['completed']);
  const attempts = seen.attempts.filter((a) => a.workflowId === 'observed');
  expect(attempts.map((a) => [a.attempt, a.outcome, a.activity])).toEqual([
    [1, 'retrying', 'flakyCall'],
    [2, 'retrying', 'flakyCall'],
    [3, 'completed', 'flakyCall'],
  ]);
  const steps = seen.steps.filter((s) => s.workflowId === 'observed');
  expect(steps[0]).toMatchObject({ started: true, statusBefore: null, statusAfter: 'running', type: 'test-flaky', version: 1, transitions: 0 });
  const last = steps[steps.length - 1];
  expect(last).toMatchObject({ started: false, statusBefore: 'running', statusAfter: 'completed', transitions: 1 });
  expect(last.statesLeft.map((s) => s.state)).toEqual(['calling']);
  // The first attempts' retries back off 50 and 100 ms: the state lasted at least that long.
  expect(last.statesLeft[0].seconds).toBeGreaterThanOrEqual(0.15);
  expect(steps.every((s) => s.durationMs > 0)).toBe(true);
});

test('state_entered keeps when each active state was entered, across steps that stay in it', async () => {
  const before = Date.now();
  await h.runtime.engine.start({ type: 'test-approval', workflowId: 'entered', input: { timeoutMs: 60_000 } }, USER);
  const [row] = await query(h.db.dataSource, `SELECT state_entered FROM workflow_instance WHERE id = 'entered'`);
  expect(Object.keys(row.state_entered)).toEqual(['waiting']);
  const at = Date.parse(row.state_entered.waiting);
  expect(at).toBeGreaterThanOrEqual(before - 1000);
  // A refused event is a step too; it must not restart the clock of the state it stays in.
  await expect(h.runtime.engine.signal('entered', { type: 'no.such.event' }, USER)).rejects.toThrow();
  const [again] = await query(h.db.dataSource, `SELECT state_entered FROM workflow_instance WHERE id = 'entered'`);
  expect(again.state_entered.waiting).toBe(row.state_entered.waiting);
  await h.runtime.engine.signal('entered', { type: 'approval.granted' }, USER);
  const [done] = await query(h.db.dataSource, `SELECT state_entered FROM workflow_instance WHERE id = 'entered'`);
  expect(Object.keys(done.state_entered)).toEqual(['approved']);
});

test('a fired timer is observed with its lateness', async () => {
  await h.runtime.engine.start({ type: 'test-approval', workflowId: 'late', input: { timeoutMs: 300 } }, USER);
  await h.until('late', ['completed']);
  const [timer] = seen.timers.filter((t) => t.workflowId === 'late');
  expect(timer.type).toBe('test-approval');
  expect(timer.latenessMs).toBeGreaterThanOrEqual(0);
  expect(timer.latenessMs).toBeLessThan(10_000);
});

test('an activity attempt continues the trace of the transaction that scheduled it', async () => {
  spans.reset();
  const tracer = trace.getTracer('test');
  await tracer.startActiveSpan('client request', async (root) => {
    await h.runtime.engine.start({ type: 'test-flaky', workflowId: 'traced', input: { failures: 0 } }, USER);
    root.end();
  });
  await h.until('traced', ['completed']);
  const root = spans.getFinishedSpans().find((s) => s.name === 'client request')!;
  const traceId = root.spanContext().traceId;
  const inTrace = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const names = inTrace.map((s) => s.name);
  expect(names).toContain('statera.activity');
  // The start, and the transition that applied the activity's result inside the activity's span.
  expect(names.filter((n) => n === 'statera.transition').length).toBeGreaterThanOrEqual(2);
  const activity = inTrace.find((s) => s.name === 'statera.activity')!;
  expect(activity.attributes['statera.workflow_id']).toBe('traced');
});

test('outbox rows are marked dispatched in batches shortly after the commit', async () => {
  await h.runtime.engine.start({ type: 'test-flaky', workflowId: 'marked', input: { failures: 0 } }, USER);
  await h.until('marked', ['completed']);
  await h.runtime.relay.flushSent();
  const [pending] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM outbox WHERE workflow_id = 'marked' AND dispatched_at IS NULL`);
  expect(pending.n).toBe(0);
});
