// Fairness under a burst: tenant A's key floods the API while tenant B's key makes steady
// requests; B's latency before and during the flood says whether the rate limits keep one
// tenant from taking the process from another. The default limits (src/config/config.ts).
//
//   node -r @swc-node/register bench/fairness.ts [--burst 2000] [--concurrency 64]
//
// The app runs in this process (createHttpApp, ROLE=api) on a database and Redis prefix of its
// own, removed at the end; each client runs in a worker thread of its own, so neither's work
// sits in the server's event loop or in the other's (they still share the machine's cores).
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { cleanupAll, createDatabase, newPrefix, progress, REDIS_URL } from './infra';
import { fmt, summarize } from './stats';
import { createHttpApp } from '../src/bootstrap/create-app';
import { loadDefinitions } from '../src/bootstrap/definitions';
import { loadConfig } from '../src/config/config';
import { createDataSource, migrate } from '../src/persistence/data-source';

const COMMAND = 'node -r @swc-node/register bench/fairness.ts';
const INTERVAL_MS = 50;
const BASELINE_MS = 12_000;

/**
 * A client thread: node:http with keep-alive sockets (lighter than fetch, so the client takes
 * less of the machine from the server). `steady` sends one request every `intervalMs` until
 * told to stop; `burst` sends `burst` requests, `concurrency` at a time. Each in its own thread,
 * so B's timings never wait behind A's responses in a client event loop.
 */
const CLIENT = `
const http = require('node:http');
const { parentPort, workerData: w } = require('node:worker_threads');
const agent = new http.Agent({ keepAlive: true, maxSockets: w.concurrency ?? 1 });
const target = new URL(w.url + '/v1/workflows?limit=20');
const get = () => new Promise((resolve, reject) => {
  const started = performance.now();
  const req = http.get(target, { agent, headers: { authorization: 'Bearer ' + w.key } }, (res) => {
    res.resume();
    res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
  });
  req.on('error', reject);
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let phase = 'warm-up';
parentPort.on('message', (m) => { phase = m; });
(async () => {
  if (w.mode === 'steady') {
    for (let i = 0; i < 20; i++) await get(); // connections, JIT, the key cache
    parentPort.postMessage({ ready: true });
    const samples = { before: [], during: [] };
    while (phase !== 'stop') {
      const p = phase;
      const s = await get();
      if (p === 'before' || p === 'during') samples[p].push(s);
      await sleep(w.intervalMs);
    }
    parentPort.postMessage(samples);
  } else {
    await new Promise((r) => parentPort.once('message', r));
    const statuses = {};
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: w.concurrency }, async () => {
      while (next < w.burst) {
        next++;
        const { status } = await get();
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }));
    parentPort.postMessage({ statuses, burstMs: performance.now() - started });
  }
})().catch((err) => { parentPort.postMessage({ error: String((err && err.stack) || err) }); });
`;

function client(workerData: Record<string, unknown>): { worker: Worker; next: () => Promise<any> } {
  const worker = new Worker(CLIENT, { eval: true, workerData });
  const messages: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  worker.on('message', (m: { error?: string }) => {
    if (m?.error) throw new Error(m.error);
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else messages.push(m);
  });
  return { worker, next: () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r))) };
}

interface Sample {
  status: number;
  ms: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { burst: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '64' } } });
  const burst = Number(values.burst);
  const concurrency = Number(values.concurrency);
  const db = await createDatabase('fairness');
  const prefix = newPrefix('fairness');
  const owner = createDataSource(db.url, 2);
  await owner.initialize();
  await migrate(owner);
  await owner.destroy();
  const adminKey = `stk_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}`;
  // The environment's RATE_LIMITS etc. apply when set: the run measures what is configured, by default the defaults.
  const config = loadConfig({ ...process.env, ROLE: 'api', DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, PORT: '0', SANDBOX: 'false', METRICS: 'false', LOG_LEVEL: 'error', STATERA_BOOTSTRAP_ADMIN_KEY: adminKey });
  const app = await createHttpApp(config, loadDefinitions(config.PARTNERS_URL));
  try {
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const call = async (method: string, path: string, key: string, body?: unknown): Promise<any> => {
      const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (res.status === 429) {
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000));
        return call(method, path, key, body);
      }
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const keyOf = async (id: string, tenant: string) => (await call('POST', '/v1/admin/api-keys', adminKey, { principal: { id, displayName: id, roles: ['operator'], tenant } })).key as string;
    const keyA = await keyOf('flood-a', 'tenant-a');
    const keyB = await keyOf('steady-b', 'tenant-b');
    // Something to list: 20 workflows in each tenant (ROLE=api: they wait in the outbox, nothing runs).
    for (const [key, tenant] of [
      [keyA, 'a'],
      [keyB, 'b'],
    ]) {
      for (let i = 0; i < 20; i++) {
        await call('POST', '/v1/workflows', key, { type: 'demo-transfer', workflowId: `${tenant}-${i}`, input: { transferId: `${tenant}-${i}`, amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B' } });
      }
    }
    await new Promise((r) => setTimeout(r, 1100)); // the set-up's requests leave the windows
    progress(`tenant B steady every ${INTERVAL_MS} ms; tenant A: ${burst} requests, ${concurrency} at a time`);
    const steady = client({ mode: 'steady', url, key: keyB, intervalMs: INTERVAL_MS });
    const flood = client({ mode: 'burst', url, key: keyA, burst, concurrency });
    await steady.next();
    await new Promise((r) => setTimeout(r, 1100)); // B's warm-up leaves its window
    steady.worker.postMessage('before');
    await new Promise((r) => setTimeout(r, BASELINE_MS));
    steady.worker.postMessage('during');
    flood.worker.postMessage('go');
    const { statuses, burstMs } = (await flood.next()) as { statuses: Record<string, number>; burstMs: number };
    steady.worker.postMessage('stop');
    const samples = (await steady.next()) as { before: Sample[]; during: Sample[] };
    await Promise.all([steady.worker.terminate(), flood.worker.terminate()]);
    const result = { ...samples, statuses, burstMs };
    const before = summarize(result.before.map((s) => s.ms));
    const during = summarize(result.during.map((s) => s.ms));
    const bRefused = [...result.before, ...result.during].filter((s) => s.status !== 200).length;
    const limits = config.RATE_LIMIT ? `operator perKey ${config.RATE_LIMITS.operator.perKey}, perTenant ${config.RATE_LIMITS.operator.perTenant} per ${config.RATE_LIMIT_WINDOW_MS} ms` : 'off (RATE_LIMIT=false)';
    const lines = [
      `command: ${COMMAND} --burst ${burst} --concurrency ${concurrency}   (npm run bench:fairness)`,
      `machine: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
      `rate limits: ${limits}`,
      `tenant B, GET /v1/workflows?limit=20 every ${INTERVAL_MS} ms:`,
      `  before the burst: p50 ${fmt(before.p50)} ms, p99 ${fmt(before.p99)} ms (${result.before.length} requests)`,
      `  during the burst: p50 ${fmt(during.p50)} ms, p99 ${fmt(during.p99)} ms (${result.during.length} requests)`,
      `  ratio during/before: p50 ${fmt(during.p50 / before.p50)}x, p99 ${fmt(during.p99 / before.p99)}x (target: p99 within 2x — ${during.p99 / before.p99 <= 2 ? 'met' : 'missed'})`,
      `  B refused: ${bRefused}`,
      `tenant A: ${burst} requests in ${fmt(result.burstMs / 1000)} s: ${Object.entries(result.statuses)
        .map(([status, n]) => `${n} × ${status}`)
        .join(', ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await app.close();
    await cleanupAll();
  }
}

main().catch(async (err: unknown) => {
  process.stderr.write(`fairness: ${(err as Error)?.stack ?? String(err)}\n`);
  await cleanupAll();
  process.exit(1);
});
