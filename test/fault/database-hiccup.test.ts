import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { PG_ADMIN_URL, REDIS_URL, waitFor } from '../support/env';
import { freePort, startMainProcess, stopProcess } from '../support/processes';

// DBOS's "dbhiccup": every PostgreSQL connection of this test's database is terminated
// (pg_terminate_backend) again and again while transfers run through an API process and a
// ROLE=worker process. Nothing may be lost or applied twice, every chain verifies, and both
// processes live.

let api: HttpHarness;
let worker: ChildProcess;
let output: () => string;


beforeAll(async () => {
  api = await startHttpApp('db_hiccup', [], { env: { ROLE: 'api' } });
  ({ child: worker, output } = startMainProcess({
    ROLE: 'worker',
    DATABASE_URL: api.db.url,
    REDIS_URL,
    QUEUE_PREFIX: api.prefix,
    SANDBOX: 'false',
    METRICS_PORT: String(await freePort()),
    SWEEP_INTERVAL_MS: '500',
    LOG_LEVEL: 'warn',
  }));
}, 60_000);

afterAll(async () => {
  if (worker) await stopProcess(worker);
  await api?.close();
});

/** Terminates every other backend connected to the test's database; how many. */
async function hiccup(): Promise<number> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    const name = new URL(api.db.url).pathname.slice(1);
    const rows = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    return rows.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/** A request through a terminated connection may meet the outage: 503 says retry, so retry. */
async function call(method: string, p: string, body?: unknown): Promise<any> {
  for (let i = 0; ; i++) {
    const res = await api.request(method, p, body);
    if (res.status !== 503 || i > 20) return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('pg_terminate_backend on every connection, again and again, between and during steps: every transfer ends once, every chain verifies, both processes live', async () => {
  const ids = Array.from({ length: 20 }, (_, i) => `hiccup-${i}`);
  let terminated = 0;
  const storm = (async () => {
    for (let i = 0; i < 12; i++) {
      terminated += await hiccup();
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  for (const id of ids) {
    const res = await call('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: id, input: { transferId: id, amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts: 1 } });
    expect([id, res.status]).toEqual([id, expect.any(Number)]);
    expect([200, 201]).toContain(res.status);
  }
  for (const id of ids) {
    await waitFor(async () => ((await call('GET', `/v1/workflows/${id}`)).body.state === 'awaitingApproval' ? true : undefined), `${id} reserved`, 60_000, 250).catch(async (err: Error) => {
      const w = (await call('GET', `/v1/workflows/${id}`)).body;
      const o = (await call('GET', `/v1/workflows/${id}/outstanding`)).body;
      const h = (await call('GET', `/v1/workflows/${id}/history`)).body.items.map((r: any) => `${r.kind}:${r.outcome}:${r.reason ?? ''}`);
      const outbox = await api.db.dataSource.query(`SELECT queue, op, job_id, dispatched_at FROM outbox WHERE workflow_id = $1`, [id]);
      throw new Error(`${err.message}\nworker alive: ${worker.exitCode === null}\n${JSON.stringify({ status: w.status, state: w.state, o, h, outbox }, null, 1)}\nworker said:\n${output().slice(-4000)}`, { cause: err });
    });
    const approved = await call('POST', `/v1/workflows/${id}/events`, { type: 'transfer.approved', approver: 'ops-1' });
    expect([id, approved.status]).toEqual([id, 200]);
  }
  await storm;
  for (const id of ids) await waitFor(async () => ((await call('GET', `/v1/workflows/${id}`)).body.status === 'completed' ? true : undefined), `${id} completed`, 60_000, 250);
  expect(terminated).toBeGreaterThan(12);
  for (const id of ids) {
    const history = (await call('GET', `/v1/workflows/${id}/history`)).body.items as any[];
    // The reservation was attempted twice (one failure by design) and completed once; approved once.
    expect([id, history.filter((r) => r.kind === 'activity.completed').length]).toEqual([id, 1]);
    expect([id, history.filter((r) => r.kind === 'event.received' && r.event?.type === 'transfer.approved' && r.outcome === 'accepted').length]).toEqual([id, 1]);
  }
  expect((await call('GET', '/v1/audit/verify')).body).toMatchObject({ verified: true, instances: ids.length });
  expect(worker.exitCode).toBeNull();
  expect(output()).not.toMatch(/Unhandled|uncaught|FATAL/i);
}, 180_000);
