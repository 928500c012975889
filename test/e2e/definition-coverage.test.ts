import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { REDIS_URL, waitFor } from '../support/env';
import { freePort, startMainProcess, stopProcess } from '../support/processes';

// A version removed from the deployment while instances still run it: neither an API nor a
// worker process that does not register it may call itself ready, and each says which.

let api: HttpHarness;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  api = await startHttpApp('coverage', [], { env: { ROLE: 'api' } });
  const res = await api.request('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'kept', input: { transferId: 'kept', amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B' } });
  expect(res.status).toBe(201);
  // Two live instances of a version nobody registers any more, as if demo-transfer@7 had been removed.
  for (const id of ['stranded-1', 'stranded-2']) {
    await api.db.dataSource.query(
      `INSERT INTO workflow_instance SELECT (jsonb_populate_record(NULL::workflow_instance, to_jsonb(w) || jsonb_build_object('id', $2::text, 'definition_version', 7, 'status', 'waiting'))).*
         FROM workflow_instance w WHERE w.id = $1`,
      ['kept', id],
    );
  }
}, 60_000);

afterAll(async () => {
  if (worker) await stopProcess(worker);
  await api?.close();
});

test('the API is not ready while live instances use a version it does not register, and names it', async () => {
  const ready = await api.request('GET', '/health/ready');
  expect(ready.status).toBe(503);
  expect(ready.body.error.definitions).toMatchObject({ status: 'down', message: expect.stringContaining('demo-transfer@7 (2 live)') });
  expect(ready.body.info).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' }, migrations: { status: 'up' } });
  // Liveness is not readiness: the process is up.
  expect((await api.request('GET', '/health')).status).toBe(200);
});

test('a worker says it once and answers 503 on /health/ready, naming the version', async () => {
  const port = await freePort();
  const started = startMainProcess({ ROLE: 'worker', DATABASE_URL: api.db.url, REDIS_URL, QUEUE_PREFIX: api.prefix, SANDBOX: 'false', METRICS_PORT: String(port), LOG_LEVEL: 'warn' });
  worker = started.child;
  const ready = await waitFor(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
    return res ? { status: res.status, body: await res.json() } : undefined;
  }, 'the worker to answer readiness', 40_000, 250);
  expect(ready.status).toBe(503);
  expect(ready.body).toMatchObject({ status: 'error', checks: { postgres: { status: 'up' }, redis: { status: 'up' }, definitions: { status: 'down', message: expect.stringContaining('demo-transfer@7 (2 live)') } } });
  await fetch(`http://127.0.0.1:${port}/health/ready`);
  await waitFor(async () => (started.output().includes('do not register') || started.output().includes('does not register') ? true : undefined), 'the log line', 10_000, 100);
  expect(started.output().split('live instances use definitions this process does not register').length - 1).toBe(1);
  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
}, 60_000);

test('a job of the stranded version is parked by the worker, no attempt spent, and the instance left as it was', async () => {
  // A timer of a stranded instance falls due: the worker that does not register its version must not spend it.
  const timerId = randomUUID();
  await api.db.dataSource.query(`INSERT INTO timer (id, workflow_id, send_id, event, due_at, status) VALUES ($1, 'stranded-1', 'probe', '{"type":"probe.fired"}', now(), 'scheduled')`, [timerId]);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const timers = new Queue('timers', { connection, prefix: api.prefix });
  try {
    await timers.add('fire', { workflowId: 'stranded-1', timerId }, { jobId: `t-${timerId}` });
    const parked = await waitFor(async () => {
      const job = await timers.getJob(`t-${timerId}`);
      return job && (await job.getState()) === 'delayed' && job.delay > 0 ? job : undefined;
    }, 'the timer job to be parked', 20_000, 200);
    expect(parked.attemptsMade).toBe(0);
    const [row] = await api.db.dataSource.query(`SELECT status, (SELECT status FROM timer WHERE id = $2) AS timer FROM workflow_instance WHERE id = $1`, ['stranded-1', timerId]);
    expect(row).toEqual({ status: 'waiting', timer: 'scheduled' });
  } finally {
    await timers.close();
    connection.disconnect();
  }
}, 40_000);
