import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { crash, crashEager } from '../support/crash-definitions';
import { allTestDefinitions } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { REDIS_URL, waitFor } from '../support/env';
import { startWorkerProcess, stopProcess } from '../support/processes';

let h: Harness;
let redis: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // This process only starts workflows and watches: the workers live in other processes.
  h = await startHarness('eager-kill', [...allTestDefinitions, crash, crashEager], { workers: false });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const c of children) await stopProcess(c);
  redis.disconnect();
  await h.close();
});

test('a worker killed while it runs activities eagerly under leases: nothing is lost, each runs again once elsewhere with its key', async () => {
  const env = { DATABASE_URL: h.db.url, QUEUE_PREFIX: h.prefix, STATERA_TEST_MARKER_PREFIX: h.prefix, LOCK_DURATION_MS: '2000' };
  const doomed = await startWorkerProcess({ ...env, STATERA_TEST_HANG: '1' });
  children.push(doomed);
  const ids = ['eager-1', 'eager-2', 'eager-3', 'eager-4', 'eager-5'];
  for (const id of ids) await h.runtime.engine.start({ type: 'test-crash-eager', workflowId: id, input: {} }, USER);
  const attemptsKey = `${h.prefix}:attempts`;
  await waitFor(async () => (await redis.llen(attemptsKey)) === ids.length, 'the doomed worker to start every settle eagerly', 20_000);
  await stopProcess(doomed, 'SIGKILL');
  expect(doomed.signalCode).toBe('SIGKILL');

  // Each settle was leased to the dead process: a row with a lease, and no BullMQ job at all.
  const leased = await h.db.dataSource.query(`SELECT id, lease_until > now() AS held FROM activity WHERE child_id = 'settle' AND status = 'scheduled'`);
  expect(leased).toHaveLength(ids.length);
  expect(leased.every((r: { held: boolean }) => r.held)).toBe(true);
  const queue = new Queue('activities', { connection: redis, prefix: h.prefix });
  for (const r of leased) expect(await queue.getJobState(`a-${r.id}`)).toBe('unknown');
  const outbox = await h.db.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE queue = 'activities' AND payload->>'name' = 'settle'`);
  expect(outbox[0].n).toBe(0);

  // Once the leases lapse (3 s timeout + the margin), the survivor's sweeper sends them through BullMQ.
  const survivor = await startWorkerProcess(env);
  children.push(survivor);
  for (const id of ids) expect((await h.until(id, ['completed', 'failed'], 60_000)).status).toBe('completed');
  const attempts = (await redis.lrange(attemptsKey, 0, -1)).map((a) => JSON.parse(a) as { pid: number; key: string; attempt: number });
  for (const id of ids) {
    const own = attempts.filter((a) => a.key === `${id}/settle/1`);
    expect(own.map((a) => a.pid)).toEqual([doomed.pid, survivor.pid]);
  }
  for (const id of ids) {
    const history = await h.history(id);
    expect(history.filter((r) => r.kind === 'activity.completed').map((r) => r.event.type)).toEqual(['xstate.done.actor.prepare', 'xstate.done.actor.settle']);
    expect(history.filter((r) => r.kind === 'workflow.completed')).toHaveLength(1);
  }
  await queue.close();
}, 120_000);
