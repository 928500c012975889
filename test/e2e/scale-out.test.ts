import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, testPrefix, waitFor, type TestDatabase } from '../support/env';
import { stopProcess } from '../support/processes';

const ROOT = path.join(__dirname, '../..');
let db: TestDatabase;
const processes: ChildProcess[] = [];
let base: string;
// Admin has every role; the API process creates it from the environment, the workers ignore it.
const adminKey = `stk_${randomBytes(32).toString('base64url')}`;
const auth = { authorization: `Bearer ${adminKey}` };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function startRole(role: 'api' | 'worker', env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ROLE: role, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  processes.push(child);
  return child;
}

const prefix = testPrefix('scaleout');

beforeAll(async () => {
  db = await createTestDatabase('scaleout');
  const port = await freePort();
  const env = { DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, PORT: String(port), ACTIVITY_CONCURRENCY: '2', SWEEP_INTERVAL_MS: '1000', SANDBOX: 'false', METRICS_PORT: '0', STATERA_BOOTSTRAP_ADMIN_KEY: adminKey, RATE_LIMIT: 'false' };
  startRole('api', env);
  startRole('worker', env);
  startRole('worker', env);
  base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok, 'the api process to serve', 60_000, 250);
}, 90_000);

afterAll(async () => {
  for (const p of processes) await stopProcess(p);
  await db.drop();
  await deleteRedisKeys(prefix);
});

test('one ROLE=api and two ROLE=worker processes share the work; nothing lives in process memory between events', async () => {
  const ids = Array.from({ length: 20 }, (_, i) => `scale-${i}`);
  for (const id of ids) {
    const res = await fetch(`${base}/v1/workflows`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'demo-transfer', workflowId: id, input: { transferId: id, amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts: 1 } }),
    });
    expect(res.status).toBe(201);
  }
  const get = async (id: string) => (await (await fetch(`${base}/v1/workflows/${id}`, { headers: auth })).json()) as { status: string; state: string };
  await waitFor(async () => (await Promise.all(ids.map(get))).every((w) => w.state === 'awaitingApproval'), 'every transfer to await approval', 60_000, 250);
  for (const id of ids) {
    const res = await fetch(`${base}/v1/workflows/${id}/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'transfer.approved', approver: 'ops' }) });
    expect(res.status).toBe(200);
  }
  expect((await Promise.all(ids.map(get))).every((w) => w.status === 'completed')).toBe(true);

  const workers = new Set<string>();
  for (const id of ids) {
    const history = (await (await fetch(`${base}/v1/workflows/${id}/history`, { headers: auth })).json()) as { items: { kind: string; data: { worker?: string } }[] };
    for (const r of history.items) if (r.kind.startsWith('activity.') && r.data?.worker) workers.add(r.data.worker.split('/')[1]);
  }
  // Both worker processes ran attempts, and the API process ran none.
  const workerPids = processes.slice(1).map((p) => String(p.pid));
  expect([...workers].sort()).toEqual(workerPids.sort());
}, 120_000);
