import { randomBytes } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Refusal } from '../../src/auth/authenticate.middleware';
import { requestKeyId, requestKeyPrefix } from '../../src/auth/request-principal';
import { createHttpApp } from '../../src/bootstrap/create-app';
import { loadDefinitions } from '../../src/bootstrap/definitions';
import { loadConfig } from '../../src/config/config';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, testPrefix, type TestDatabase } from '../support/env';

// The app is built here rather than with startHttpApp: the test passes its own onRefused.
const prefix = testPrefix('prebody');
const adminKey = `stk_${randomBytes(32).toString('base64url')}`;
const unknownKey = `stk_${randomBytes(32).toString('base64url')}`;
let db: TestDatabase;
let app: NestExpressApplication;
let url: string;
const refusals: { refusal: Refusal; bodyParsed: boolean; at: number }[] = [];
const seenKeys: { path: string; prefix?: string; id?: string }[] = [];
let refusalHook: (req: Request, refusal: Refusal) => Promise<void> = async () => undefined;

beforeAll(async () => {
  db = await createTestDatabase('prebody');
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, PORT: '0', SANDBOX: 'false', STATERA_BOOTSTRAP_ADMIN_KEY: adminKey });
  app = await createHttpApp(config, loadDefinitions(config.PARTNERS_URL), ['error'], {
    onRefused: async (req, refusal) => {
      // The body parser sets req.body; before it has run there is none.
      refusals.push({ refusal, bodyParsed: req.body !== undefined, at: Date.now() });
      await refusalHook(req, refusal);
    },
  });
  // After the body parser, before the routes: what the request carries by the time a handler runs.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    seenKeys.push({ path: req.path, prefix: requestKeyPrefix(req), id: requestKeyId(req) });
    next();
  });
  await app.listen(0, '127.0.0.1');
  url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
  await deleteRedisKeys(prefix);
});

beforeEach(() => {
  refusals.length = 0;
  refusalHook = async () => undefined;
});

const post = (body: string, authorization?: string) =>
  fetch(`${url}/v1/workflows`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body });

async function expect401(res: globalThis.Response, challenge: RegExp) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('www-authenticate')).toMatch(challenge);
  expect(await res.json()).toMatchObject({ type: expect.stringMatching(/\/unauthenticated$/), status: 401 });
}

test('a 5 MB body without a key is 401, not 413: the limit is never reached because the body is never read', async () => {
  const big = JSON.stringify({ type: 'demo-transfer', input: { pad: 'x'.repeat(5 * 1024 * 1024) } });
  await expect401(await post(big), /^Bearer realm="statera"$/);
  await expect401(await post(big, `Bearer ${unknownKey}`), /invalid_token/);
  expect(refusals.map((r) => [r.refusal.reason, r.bodyParsed])).toEqual([
    ['no_credentials', false],
    ['unknown_or_revoked_key', false],
  ]);
  // With the admin's key the same body reaches the parser, which refuses it.
  expect((await post(big, `Bearer ${adminKey}`)).status).toBe(413);
});

test('a 900 KB body, under the parser limit, is still refused unread without a good key', async () => {
  const body = JSON.stringify({ type: 'demo-transfer', input: { pad: 'x'.repeat(900 * 1024) } });
  await expect401(await post(body), /^Bearer realm="statera"$/);
  await expect401(await post(body, 'Bearer short'), /invalid_token/);
  expect(refusals.every((r) => !r.bodyParsed)).toBe(true);
});

test('malformed JSON with a bad key is 401, not 400: the parser never ran', async () => {
  await expect401(await post('{"type": "demo-transfer", ', `Bearer ${unknownKey}`), /invalid_token/);
  await expect401(await post('{"type": "demo-transfer", ', `Basic ${Buffer.from('a:b').toString('base64')}`), /invalid_token/);
  // The same bytes with a good key: parsed, and refused by the parser.
  const parsed = await post('{"type": "demo-transfer", ', `Bearer ${adminKey}`);
  expect(parsed.status).toBe(400);
  expect(((await parsed.json()) as { type: string }).type).toMatch(/\/malformed-json$/);
});

test('onRefused is awaited before the answer, gets the key prefix, and its failure is not the client’s', async () => {
  refusalHook = async () => new Promise((r) => setTimeout(r, 300));
  const sent = Date.now();
  await expect401(await post('{}', `Bearer ${unknownKey}`), /invalid_token/);
  expect(Date.now() - sent).toBeGreaterThanOrEqual(290);
  expect(refusals[0].refusal).toEqual({ status: 401, code: 'unauthenticated', reason: 'unknown_or_revoked_key', keyPrefix: unknownKey.slice(0, 8) });

  refusalHook = async () => {
    throw new Error('the security log is down');
  };
  await expect401(await post('{}'), /^Bearer realm="statera"$/);
});

test('unknown paths are 401 without a key and 404 with one; open paths and the console need none', async () => {
  for (const path of ['/no-such-page', '/v1/no-such-route', '/v1']) {
    await expect401(await fetch(`${url}${path}`), /^Bearer realm="statera"$/);
    expect((await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(404);
  }
  expect((await fetch(`${url}/health`, { headers: { authorization: `Bearer ${unknownKey}` } })).status).toBe(200);
  expect((await fetch(`${url}/docs-json`)).status).toBe(200);
  // The console's page (200, or 503 when not built) without a key; a POST to it is not the console's.
  expect((await fetch(`${url}/`)).status).not.toBe(401);
  expect((await fetch(`${url}/index.html`, { method: 'POST' })).status).toBe(401);
});

test('a good key leaves its prefix and api_key id on the request', async () => {
  seenKeys.length = 0;
  expect((await fetch(`${url}/v1/workflows?limit=1`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
  const [{ id }] = await db.dataSource.query(`SELECT id FROM api_key WHERE principal_id = 'admin' AND revoked_at IS NULL`);
  expect(seenKeys).toEqual([{ path: '/v1/workflows', prefix: adminKey.slice(0, 8), id }]);
});
