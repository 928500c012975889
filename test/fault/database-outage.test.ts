import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDataSource, ensureDatabase, migrate } from '../../src/persistence/data-source';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { waitFor } from '../support/env';

// A PostgreSQL of this test's own (the shared one is never stopped), stopped with
// `-m immediate` while the API serves: starts and signals are 503 with Retry-After, never
// 500; the process stays up; when PostgreSQL is back, the API is too.

const BIN = path.join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().pop()!, 'bin');
let dir: string;
let port: number;
let api: HttpHarness;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/** initdb and pg_ctl refuse to run as root: as the cluster's owner, `postgres`. */
function asPostgres(tool: string, args: string[]): void {
  const run = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, tool), ...args]] : [path.join(BIN, tool), args];
  execFileSync(run[0] as string, run[1] as string[], { stdio: 'ignore' });
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
  await ensureDatabase(url);
  const owner = createDataSource(url, 2);
  await owner.initialize();
  await migrate(owner);
  await owner.destroy();
  // The API and the engine's workers in one process, as ROLE=all runs.
  api = await startHttpApp('db_outage', [], { env: { DATABASE_URL: url, DATABASE_POOL_SIZE: '5' } });
}, 90_000);

afterAll(async () => {
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
  // A few seconds of the engine's own loops failing against the dead database, then it is back.
  await new Promise((r) => setTimeout(r, 3000));
  pgStart();
  const started = await waitFor(async () => {
    const res = await api.request('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'after-outage', input: input('after-outage') });
    return res.status === 201 || res.status === 200 ? res : undefined;
  }, 'the API to start workflows again', 30_000, 250);
  expect(started.body).toMatchObject({ id: 'after-outage' });
  expect((await api.request('GET', '/v1/workflows/before-outage')).status).toBe(200);
}, 90_000);
