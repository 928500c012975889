import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { crash } from '../support/crash-definitions';
import { allTestDefinitions } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { REDIS_URL, waitFor } from '../support/env';
import { startWorkerProcess, stopProcess } from '../support/processes';

let h: Harness;
let redis: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // This process only starts workflows and watches: the workers live in other processes.
  h = await startHarness('sigkill', [...allTestDefinitions, crash], { workers: false });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const c of children) await stopProcess(c);
  redis.disconnect();
  await h.close();
});

test('a worker killed with SIGKILL in the middle of an activity: another worker finishes the workflow', async () => {
  const env = { DATABASE_URL: h.db.url, QUEUE_PREFIX: h.prefix, STATERA_TEST_MARKER_PREFIX: h.prefix, LOCK_DURATION_MS: '2000' };
  const doomed = await startWorkerProcess({ ...env, STATERA_TEST_HANG: '1' });
  children.push(doomed);
  const { workflow } = await h.runtime.engine.start({ type: 'test-crash', workflowId: 'crash-1', input: {} }, USER);
  const attemptsKey = `${h.prefix}:attempts`;
  await waitFor(async () => (await redis.llen(attemptsKey)) === 1, 'the doomed worker to start the activity');
  await stopProcess(doomed, 'SIGKILL');
  expect(doomed.signalCode).toBe('SIGKILL');
  expect((await h.get(workflow.id)).status).toBe('running');

  const survivor = await startWorkerProcess(env);
  children.push(survivor);
  const done = await h.until(workflow.id, ['completed', 'failed'], 30_000);
  expect(done.status).toBe('completed');
  const attempts = (await redis.lrange(attemptsKey, 0, -1)).map((a) => JSON.parse(a));
  expect(attempts.map((a) => a.pid)).toEqual([doomed.pid, survivor.pid]);
  // The same invocation, so the same idempotency key for the partner.
  expect(new Set(attempts.map((a) => a.key))).toEqual(new Set(['crash-1/settle/1']));
  const completed = (await h.history(workflow.id)).find((r) => r.kind === 'activity.completed');
  expect(completed.event.output).toEqual({ pid: survivor.pid });
});
