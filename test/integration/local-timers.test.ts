import { approval } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { REDIS_URL, waitFor } from '../support/env';
import { EngineRuntime } from '../../src/engine/runtime';
import { BACKSTOP_MS } from '../../src/engine/store/local-work';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('local-timers', [approval]);
});
afterAll(() => h.close());

const timerRow = async (harness: Harness, workflowId: string) =>
  (await harness.db.dataSource.query(`SELECT id, status, extract(epoch FROM fired_at - due_at) * 1000 AS late_ms FROM timer WHERE workflow_id = $1`, [workflowId]))[0];

test('a timer due soon is fired from memory by the process that set it, and its backstop job is removed', async () => {
  await h.runtime.engine.start({ type: 'test-approval', workflowId: 'local-1', input: { timeoutMs: 300 } }, USER);
  // Held here: the BullMQ job waits past the due time, as the backstop.
  const [{ id }] = await h.db.dataSource.query(`SELECT id FROM timer WHERE workflow_id = 'local-1'`);
  const backstop = await h.runtime.queues.queues.timers.getJob(`t-${id}`);
  expect(backstop?.opts.delay).toBeGreaterThan(300 + BACKSTOP_MS - 100);
  expect(backstop?.data.backstop).toBe(true);
  expect(h.runtime.localTimers.size).toBe(1);

  const done = await h.until('local-1', ['completed']);
  expect(done.state).toBe('expired');
  const timer = await timerRow(h, 'local-1');
  expect(timer.status).toBe('fired');
  // Before the backstop's time: it was the fire from memory.
  expect(Number(timer.late_ms)).toBeLessThan(BACKSTOP_MS);
  await waitFor(async () => (await h.runtime.queues.queues.timers.getJob(`t-${id}`)) === undefined, 'the backstop job to be removed');
  const kinds = (await h.history('local-1')).map((r) => r.kind);
  expect(kinds.filter((k) => k.startsWith('timer.'))).toEqual(['timer.set', 'timer.fired']);
});

test('a timer cancelled by a signal in the same process is dropped from memory: no late fire is recorded', async () => {
  await h.runtime.engine.start({ type: 'test-approval', workflowId: 'local-2', input: { timeoutMs: 400 } }, USER);
  await h.runtime.engine.signal('local-2', { type: 'approval.granted' }, USER);
  expect(h.runtime.localTimers.size).toBe(0);
  await new Promise((r) => setTimeout(r, 700));
  const kinds = (await h.history('local-2')).map((r) => r.kind);
  expect(kinds.filter((k) => k.startsWith('timer.'))).toEqual(['timer.set', 'timer.cancelled']);
});

test('when the process that held a timer stops before it is due, the BullMQ backstop fires it in another', async () => {
  const setter = await startHarness('local-timers-setter', [approval], { workers: false });
  let stopped = false;
  try {
    await setter.runtime.engine.start({ type: 'test-approval', workflowId: 'local-3', input: { timeoutMs: 200 } }, USER);
    expect(setter.runtime.localTimers.size).toBe(1);
    await setter.runtime.stop();
    stopped = true;
    // Workers on the same database and queues: only the backstop job can fire it now.
    const worker = new EngineRuntime({ dataSource: setter.db.dataSource, redisUrl: REDIS_URL, queuePrefix: setter.prefix, definitions: [approval], workers: true, sweepIntervalMs: 500, log: () => undefined });
    await worker.start();
    try {
      const done = await setter.until('local-3', ['completed'], 20_000);
      expect(done.state).toBe('expired');
      const timer = await timerRow(setter, 'local-3');
      expect(Number(timer.late_ms)).toBeGreaterThanOrEqual(BACKSTOP_MS);
    } finally {
      await worker.stop();
    }
  } finally {
    if (!stopped) await setter.runtime.stop();
    await setter.close();
  }
});
