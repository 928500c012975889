import type { ChildProcess } from 'node:child_process';
import { query } from '../../src/engine/store/sql';
import { REDIS_URL, waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { freePort, startMainProcess, stopProcess } from '../support/processes';

// A batch pausing 500 workflows is carried out by a process of its own (src/main.ts, ROLE=all),
// which is SIGKILLed mid-batch. Another process takes the batch over: every item ends done,
// each workflow is paused exactly once, none is left out or paused twice.

const N = 500;
let api: HttpHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Migrates the database and serves reads; its own background runner sleeps through the test.
  api = await startHttpApp('batch_kill', [], { env: { ROLE: 'api', OPERATIONS_INTERVAL_MS: '3600000' } });
}, 60_000);

afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  await api?.close();
});

async function startApp(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const { child, output } = startMainProcess({
    ROLE: 'all',
    PORT: String(port),
    DATABASE_URL: api.db.url,
    REDIS_URL,
    QUEUE_PREFIX: api.prefix,
    SANDBOX: 'false',
    METRICS_PORT: String(await freePort()),
    STATERA_BOOTSTRAP_ADMIN_KEY: api.adminKey,
    RATE_LIMIT: 'false',
    SWAGGER: 'false',
    LOG_LEVEL: 'warn',
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the app exited: ${output()}`);
    return (await fetch(`${url}/health`).catch(() => undefined))?.ok;
  }, 'the app process to serve', 60_000, 200);
  return { child, url };
}

test(`a batch over ${N} workflows survives a SIGKILL of the process running it`, async () => {
  const first = await startApp();
  for (let i = 0; i < N; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, k) =>
        api.request('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: `bk-${i + k}`, input: { transferId: `bk-${i + k}`, amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts: 0 } }),
      ),
    );
  }
  await waitFor(async () => {
    const [row] = await query(api.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE status = 'waiting'`);
    return row.n === N;
  }, 'every transfer to wait for its approval', 60_000, 200);

  const created = await fetch(`${first.url}/v1/batch-operations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'pause', filter: { type: 'demo-transfer' }, reason: 'incident INC-7: hold every transfer' }),
  });
  expect(created.status).toBe(202);
  const batch = (await created.json()) as { id: string; total: number };
  expect(batch.total).toBe(N);

  // Killed once it has done a fifth of the work, with more claimed and in hand.
  const doneAtKill = await waitFor(async () => {
    const [row] = await query(api.db.dataSource, `SELECT count(*)::int AS n FROM batch_item WHERE batch_id = $1 AND outcome = 'done'`, [batch.id]);
    return row.n >= N / 5 ? row.n : undefined;
  }, 'the batch to be under way', 30_000, 5);
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const [atKill] = await query(api.db.dataSource, `SELECT count(*) FILTER (WHERE outcome = 'done')::int AS done, count(*) FILTER (WHERE outcome = 'pending')::int AS pending FROM batch_item WHERE batch_id = $1`, [batch.id]);
  process.stdout.write(`batch sigkill: ${doneAtKill} done when the kill was sent, ${atKill.done} done and ${atKill.pending} pending after it\n`);
  expect(atKill.pending).toBeGreaterThan(0);

  await startApp();
  const finished = await waitFor(async () => {
    const res = await api.request('GET', `/v1/batch-operations/${batch.id}?limit=1`);
    return res.body.status === 'completed' ? res.body : undefined;
  }, 'another process to finish the batch', 90_000, 250);
  expect(finished).toMatchObject({ total: N, progress: { done: N, skipped: 0, failed: 0, remaining: 0 } });

  const [paused] = await query(api.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE status = 'paused'`);
  expect(paused.n).toBe(N);
  // Exactly one pause record per workflow, each naming the batch.
  const records = await query<{ workflow_id: string; n: number; batches: string[] }>(
    api.db.dataSource,
    `SELECT workflow_id, count(*)::int AS n, array_agg(DISTINCT data ->> 'batchId') AS batches FROM workflow_history WHERE kind = 'workflow.paused' GROUP BY workflow_id`,
  );
  expect(records).toHaveLength(N);
  expect(records.filter((r) => r.n !== 1 || r.batches.length !== 1 || r.batches[0] !== batch.id)).toEqual([]);
}, 240_000);
