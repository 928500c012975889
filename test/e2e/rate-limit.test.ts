import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { DEFAULT_RATE_LIMITS } from '../../src/config/config';
import { RateLimiter } from '../../src/auth/rate-limiter';
import { startHttpApp } from '../support/http-app';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, sleep, testPrefix, waitFor, type TestDatabase } from '../support/env';
import { stopProcess } from '../support/processes';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '../..');
const prefix = testPrefix('ratelimit');
const adminKey = `stk_${randomBytes(32).toString('base64url')}`;
const unknownKey = () => `stk_${randomBytes(32).toString('base64url')}`;
// Low limits and a 2 s window: a burst of a few requests crosses them, a short wait resets them.
const LIMITS = { operator: { perKey: 6, perTenant: 10 } };
const AUTH_FAILURES = 3;
const processes: ChildProcess[] = [];
let db: TestDatabase;
let bases: string[];
const keys: Record<string, string> = {};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startApi(): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
      ROLE: 'api',
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      SANDBOX: 'false',
      METRICS_PORT: '0',
      LOG_LEVEL: 'error',
      STATERA_BOOTSTRAP_ADMIN_KEY: adminKey,
      RATE_LIMITS: JSON.stringify(LIMITS),
      RATE_LIMIT_WINDOW_MS: '2000',
      RATE_LIMIT_AUTH_FAILURES: String(AUTH_FAILURES),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  processes.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok, `the api process on ${port} to serve`, 45_000, 250);
  return base;
}

beforeAll(async () => {
  db = await createTestDatabase('ratelimit');
  bases = await Promise.all([startApi(), startApi()]);
  for (const [id, tenant] of [
    ['ops-a', 'ta'],
    ['ops-b', 't2'],
    ['ops-c1', 't3'],
    ['ops-c2', 't3'],
  ]) {
    const res = await fetch(`${bases[0]}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ principal: { id, displayName: id, roles: ['operator'], tenant } }),
    });
    if (res.status !== 201) throw new Error(`creating ${id}: ${res.status} ${await res.text()}`);
    keys[id] = ((await res.json()) as { key: string }).key;
  }
}, 60_000);

afterAll(async () => {
  for (const p of processes) await stopProcess(p);
  await db?.drop();
  await deleteRedisKeys(prefix);
});

/** GET /v1/workflows with a key, on process `n % 2`: consecutive calls alternate between the two processes. */
async function list(key: string, n: number, headers: Record<string, string> = {}) {
  const started = Date.now();
  const res = await fetch(`${bases[n % 2]}/v1/workflows?limit=1`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any, ms: Date.now() - started };
}

function expectRateLimited(res: { status: number; headers: Headers; body: any }, windowS = 2) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), status: 429, title: 'Too many requests' });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowS).toBe(true);
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
  return retryAfter;
}

test('one key is limited across two API processes together; another tenant is not; after Retry-After it is served again', async () => {
  const burst = [];
  for (let i = 0; i < 8; i++) burst.push(await list(keys['ops-a'], i));
  expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  // Each process reports the shared count: 6 allowed in all, not 6 per process.
  expect(burst.slice(0, 6).map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['5', '4', '3', '2', '1', '0']);
  for (const r of burst) expect(r.headers.get('ratelimit-limit')).toBe('6');
  const retryAfter = expectRateLimited(burst[6]);
  expectRateLimited(burst[7]);
  expect(burst[6].body.detail).toMatch(/this API key/);
  // A 429 is held 0.5–1 × RATE_LIMIT_REFUSAL_DELAY_MS (1 s) before it is sent: a client retrying at once is slowed.
  expect(burst[6].ms).toBeGreaterThanOrEqual(450);

  // Another tenant's key, on either process, has its own buckets.
  for (let i = 0; i < 2; i++) {
    const other = await list(keys['ops-b'], i);
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe(String(5 - i));
  }

  await sleep(retryAfter * 1000 + 100);
  // Served again, but paced for a few windows: its 6 per 2 s come one every 333 ms, not at once.
  const started = Date.now();
  for (let i = 0; i < 3; i++) expect((await list(keys['ops-a'], 0)).status).toBe(200);
  expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  // A key that never went over is not paced.
  const unpaced = Date.now();
  for (let i = 0; i < 3; i++) expect((await list(keys['ops-b'], 0)).status).toBe(200);
  expect(Date.now() - unpaced).toBeLessThan(500);
});

test("a tenant's keys share the tenant's bucket", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await list(keys['ops-c1'], i)).status);
  for (let i = 0; i < 4; i++) statuses.push((await list(keys['ops-c2'], i)).status);
  expect(statuses).toEqual(Array(10).fill(200));
  // ops-c2 has used 4 of its 6, but the tenant t3 has used its 10.
  const refused = await list(keys['ops-c2'], 1);
  expectRateLimited(refused);
  expect(refused.body.detail).toMatch(/tenant/);
  expect(refused.headers.get('ratelimit-limit')).toBe('10');
  expect((await list(keys['ops-b'], 0)).status).toBe(200);
});

test('refused keys are limited per client address; a good key from that address still works', async () => {
  const attacker = { 'x-forwarded-for': '203.0.113.7' };
  const statuses: number[] = [];
  for (let i = 0; i <= AUTH_FAILURES; i++) statuses.push((await list(unknownKey(), i, attacker)).status);
  expect(statuses).toEqual([...Array(AUTH_FAILURES).fill(401), 429]);
  const refused = await list(unknownKey(), 0, attacker);
  expect(expectRateLimited(refused, 60)).toBeGreaterThan(50);
  expect(refused.body.detail).toMatch(/refused API keys from this address/);
  // A malformed header counts too; another address is unaffected.
  expect((await list('short', 1, attacker)).status).toBe(429);
  expect((await list(unknownKey(), 1, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(401);
  expect((await list(keys['ops-b'], 1, attacker)).status).toBe(200);
});

test('RATE_LIMIT=false turns the limits off', async () => {
  const api = await startHttpApp('ratelimit-off', [], { env: { RATE_LIMIT: 'false', RATE_LIMITS: JSON.stringify({ admin: { perKey: 1, perTenant: 1 } }) } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.request('GET', '/v1/workflows?limit=1');
      statuses.push(res.status);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    }
    expect(statuses).toEqual(Array(5).fill(200));
  } finally {
    await api.close();
  }
});

test('with Redis unreachable the limiter answers at once from process memory, still limiting, and warns', async () => {
  const warnings: string[] = [];
  const limiter = new RateLimiter({
    redisUrl: 'redis://127.0.0.1:1',
    keyPrefix: testPrefix('ratelimit-down'),
    limits: { ...DEFAULT_RATE_LIMITS, operator: { perKey: 3, perTenant: 100 } },
    windowMs: 1000,
    authFailures: 2,
    authWindowMs: 60_000,
    log: (level, message) => void (level === 'warn' && warnings.push(message)),
  });
  try {
    const principal = { id: 'p', displayName: 'p', roles: ['operator' as const], groups: [], tenant: 'default' };
    const started = Date.now();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.consumeRequest(principal, 'key-1'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]).toMatchObject({ scope: 'key', limit: 3, remaining: 0 });
    expect(warnings.some((w) => /Redis unreachable/.test(w))).toBe(true);
  } finally {
    await limiter.close();
  }
});
