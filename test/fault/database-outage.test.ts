import { execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDataSource, ensureDatabase, migrate } from '../../src/persistence/data-source';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { REDIS_URL, waitFor } from '../support/env';
import { freePort, startMainProcess, stopProcess } from '../support/processes';

// A PostgreSQL of this test's own (the shared one is never stopped), stopped with
// `-m immediate` while the API serves: starts and signals are 503 with Retry-After, never
// 500; the process stays up; when PostgreSQL is back, the API is too.

const BIN = path.join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().pop()!, 'bin');
let dir: string;
let port: number;
let api: HttpHarness;
let dbUrl: string;
let worker: ChildProcess | undefined;


/** initdb and pg_ctl refuse to run as root: as the cluster's owner, `postgres`. */
function asPostgres(tool: string, args: string[]): void {
  const run = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, tool), ...args]] : [path.join(BIN, tool), args];
  try {
    execFileSync(run[0] as string, run[1] as string[], { stdio: 'pipe' });
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000);
    } catch {
      // no log yet
    }
    throw new Error(`${tool} ${args.at(-1)} failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? ''}\n${log}`, { cause: err });
  }
}

const pgStart = () => asPostgres('pg_ctl', ['-D', dir, '-l', path.join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
const pgStop = () => asPostgres('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);

const input = (id: string) => ({ transferId: id, amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B' });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'statera-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  port = await freePort();
  asPostgres('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  pgStart();
  const url = `postgres://postgres@127.0.0.1:${port}/statera_outage`;
  dbUrl = url;
  await ensureDatabase(url);
  const owner = createDataSource(url, 2);
  await owner.initialize();
  await migrate(owner);
  await owner.destroy();
  // The API alone: the second test's worker process does the work.
  api = await startHttpApp('db_outage', [], { env: { ROLE: 'api', DATABASE_URL: url, DATABASE_POOL_SIZE: '5' } });
}, 90_000);

afterAll(async () => {
  if (worker) await stopProcess(worker);
  await api?.close().catch(() => undefined);
  try {
    pgStop();
  } catch {
    // already stopped
  }
  rmSync(dir, { recursive: true, force: true });
});

test('while PostgreSQL is down a start and a signal are 503 with Retry-After; the process lives and serves again after', async () => {
  expect((await api.request('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'before-outage', input: input('before-outage') })).status).toBe(201);
  pgStop();
  for (const [method, p, body] of [
    ['POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'during-outage', input: input('during-outage') }],
    ['POST', '/v1/workflows/before-outage/events', { type: 'transfer.approved', approver: 'ops-1' }],
    ['GET', '/v1/workflows/before-outage', undefined],
  ] as const) {
    const res = await api.request(method, p, body);
    expect([p, res.status]).toEqual([p, 503]);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toMatchObject({ type: expect.stringMatching(/\/database-unavailable$/), status: 503 });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at \w+ \(/);
  }
  // Liveness holds (the process is up); readiness says what is missing.
  expect((await api.request('GET', '/health')).status).toBe(200);
  expect((await api.request('GET', '/health/ready')).status).toBe(503);
  // A few seconds of the outbox relay failing against the dead database, then it is back.
  await new Promise((r) => setTimeout(r, 3000));
  pgStart();
  const started = await waitFor(async () => {
    const res = await api.request('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'after-outage', input: input('after-outage') });
    return res.status === 201 || res.status === 200 ? res : undefined;
  }, 'the API to start workflows again', 30_000, 250);
  expect(started.body).toMatchObject({ id: 'after-outage' });
  expect((await api.request('GET', '/v1/workflows/before-outage')).status).toBe(200);
}, 90_000);

test('a ROLE=worker process started during the outage waits for PostgreSQL, and lives through the next one', async () => {
  pgStop();
  const metricsPort = await freePort();
  const started = startMainProcess({ ROLE: 'worker', DATABASE_URL: dbUrl, REDIS_URL, QUEUE_PREFIX: api.prefix, SANDBOX: 'false', METRICS_PORT: String(metricsPort), LOG_LEVEL: 'warn' });
  worker = started.child;
  const output = started.output;
  await waitFor(async () => (output().includes('waiting for services') ? true : undefined), 'the worker to say it waits', 20_000, 100);
  await new Promise((r) => setTimeout(r, 1500));
  expect(worker.exitCode).toBeNull();
  // It works once PostgreSQL is back: a transfer's activity runs in it.
  const live = async () => (await fetch(`http://127.0.0.1:${metricsPort}/health`).catch(() => undefined))?.status === 200 || undefined;
  const transfer = async (id: string) => {
    expect((await api.request('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: id, input: input(id) })).status).toBe(201);
    await waitFor(async () => ((await api.request('GET', `/v1/workflows/${id}`)).body.state === 'awaitingApproval' ? true : undefined), `${id} to be reserved`, 40_000, 250);
    expect((await api.request('POST', `/v1/workflows/${id}/events`, { type: 'transfer.approved', approver: 'ops-1' })).status).toBe(200);
    await waitFor(async () => ((await api.request('GET', `/v1/workflows/${id}`)).body.status === 'completed' ? true : undefined), `${id} to complete`, 40_000, 250);
  };
  pgStart();
  await waitFor(live, 'the worker to serve', 40_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}; the worker said:\n${output().slice(-3000)}`);
  });
  await transfer('after-first-wait');
  // PostgreSQL goes away under the running worker, and comes back.
  pgStop();
  await new Promise((r) => setTimeout(r, 3000));
  expect(worker.exitCode).toBeNull();
  pgStart();
  await transfer('after-second-outage');
  expect(worker.exitCode).toBeNull();
  expect(output()).not.toMatch(/Unhandled|uncaught/i);
}, 120_000);
