import { createHash, randomBytes } from 'node:crypto';
import { startHttpApp, type HttpHarness, type RequestFn } from '../support/http-app';
import { waitFor } from '../support/env';

let api: HttpHarness;
let operator: RequestFn;
let operatorKey: string;
let reviewer: RequestFn;
let auditor: RequestFn;

beforeAll(async () => {
  api = await startHttpApp('auth');
  operatorKey = await api.createKey({ id: 'ops-e2e', displayName: 'Ops E2E', roles: ['operator'] });
  operator = api.as(operatorKey);
  reviewer = api.as(await api.createKey({ id: 'reviewer-e2e', roles: ['reviewer'], groups: ['underwriters'] }));
  auditor = api.as(await api.createKey({ id: 'auditor-e2e', roles: ['auditor'] }));
});
afterAll(() => api?.close());

const transfer = (transferId: string, workflowId?: string) => ({
  type: 'demo-transfer',
  ...(workflowId ? { workflowId } : {}),
  input: { transferId, amount: { value: 1000, currency: 'EUR' }, from: 'A', to: 'B' },
});
const unknownKey = () => `stk_${randomBytes(32).toString('base64url')}`;

function expectUnauthenticated(res: { status: number; headers: Headers; body: any }, challenge: RegExp) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('www-authenticate')).toMatch(challenge);
  expect(res.body).toMatchObject({ type: expect.stringMatching(/\/unauthenticated$/), status: 401 });
}

test('without a key every API route is 401 problem+json with a Bearer challenge', async () => {
  const anonymous = api.as(null);
  for (const [method, path] of [
    ['GET', '/v1/workflows'],
    ['GET', '/v1/definitions'],
    ['POST', '/v1/workflows'],
    ['GET', '/v1/admin/principals'],
  ] as const) {
    expectUnauthenticated(await anonymous(method, path, method === 'POST' ? transfer('T-anon') : undefined), /^Bearer realm="statera"$/);
  }
});

test('a malformed, unknown or scheme-less key is 401 with invalid_token', async () => {
  const anonymous = api.as(null);
  const invalid = /^Bearer realm="statera", error="invalid_token"$/;
  expectUnauthenticated(await api.as('short')('GET', '/v1/workflows'), invalid);
  expectUnauthenticated(await api.as(unknownKey())('GET', '/v1/workflows'), invalid);
  expectUnauthenticated(await anonymous('GET', '/v1/workflows', undefined, { authorization: operatorKey }), invalid);
  expectUnauthenticated(await anonymous('GET', '/v1/workflows', undefined, { authorization: `Basic ${Buffer.from(`ops-e2e:${operatorKey}`).toString('base64')}` }), invalid);
  // The detail never echoes the key.
  const res = await api.as(unknownKey())('GET', '/v1/workflows');
  expect(JSON.stringify(res.body)).not.toMatch(/stk_/);
});

test('/health and the API docs answer without a key', async () => {
  const anonymous = api.as(null);
  expect(await anonymous('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  const docs = await anonymous('GET', '/docs-json');
  expect(docs.status).toBe(200);
  expect(docs.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  // A bad key on an open route does not close it.
  expect((await api.as(unknownKey())('GET', '/health')).status).toBe(200);
});

test('roles: a reviewer cannot start, signal or cancel; an auditor reads history; an operator cannot create keys', async () => {
  const refused = await reviewer('POST', '/v1/workflows', transfer('T-rev', 'by-reviewer'));
  expect(refused.status).toBe(403);
  expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(refused.body).toMatchObject({ type: expect.stringMatching(/\/forbidden$/), status: 403, requiredRoles: ['operator'] });
  expect(refused.body.detail).toMatch(/operator/);
  // Refused before anything happened.
  expect((await operator('GET', '/v1/workflows/by-reviewer')).status).toBe(404);

  expect((await operator('POST', '/v1/workflows', transfer('T-op', 'by-operator'))).status).toBe(201);
  expect((await reviewer('GET', '/v1/workflows/by-operator')).status).toBe(200);
  expect((await reviewer('GET', '/v1/definitions')).status).toBe(200);
  expect((await reviewer('POST', '/v1/workflows/by-operator/events', { type: 'transfer.approved', approver: 'r' })).status).toBe(403);
  expect((await reviewer('POST', '/v1/workflows/by-operator/cancel', {})).status).toBe(403);
  expect((await reviewer('GET', '/v1/workflows/by-operator/history')).status).toBe(403);
  expect((await auditor('GET', '/v1/workflows/by-operator/history')).status).toBe(200);
  expect((await auditor('POST', '/v1/workflows', transfer('T-aud'))).status).toBe(403);

  const mint = await operator('POST', '/v1/admin/api-keys', { principal: { id: 'escalated', displayName: 'x', roles: ['admin'] } });
  expect(mint.status).toBe(403);
  expect(mint.body).toMatchObject({ type: expect.stringMatching(/\/forbidden$/), requiredRoles: ['admin', 'platform-admin'] });
  expect((await operator('GET', '/v1/admin/principals')).status).toBe(403);
  expect((await api.request('GET', '/v1/admin/principals?limit=200')).body.items.map((p: any) => p.id)).not.toContain('escalated');
});

test('an admin creates a principal and key, shown once, that works at once; a matching request adds a second key', async () => {
  const created = await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'ops-new', displayName: 'New Operator', roles: ['operator'] } });
  expect(created.status).toBe(201);
  expect(created.headers.get('cache-control')).toBe('no-store');
  expect(created.body).toEqual({
    principal: { id: 'ops-new', displayName: 'New Operator', roles: ['operator'], groups: [], tenant: 'default' },
    key: expect.stringMatching(/^stk_[A-Za-z0-9_-]{43}$/),
    keyId: expect.any(String),
    keyPrefix: created.body.key.slice(0, 8),
  });
  expect((await api.as(created.body.key)('POST', '/v1/workflows', transfer('T-new', 'by-new-operator'))).status).toBe(201);

  const second = await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'ops-new', displayName: 'New Operator', roles: ['operator'] } });
  expect(second.status).toBe(201);
  expect(second.body.key).not.toBe(created.body.key);
  expect((await api.as(second.body.key)('GET', '/v1/workflows/by-new-operator')).status).toBe(200);

  // Not a way to change a principal's roles or tenant.
  const escalate = await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'ops-new', displayName: 'New Operator', roles: ['operator', 'admin'] } });
  expect(escalate.status).toBe(400);
  expect(escalate.body.errors).toEqual([{ field: 'principal.roles', message: expect.stringMatching(/differs/) }]);
  // Server-owned fields and unknown roles are refused, not ignored.
  expect((await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'x', displayName: 'x', roles: ['operator'], disabledAt: null } })).status).toBe(400);
  expect((await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'x', displayName: 'x', roles: ['root'] } })).status).toBe(400);

  const listed = await api.request('GET', '/v1/admin/principals?limit=200');
  expect(listed.status).toBe(200);
  const entry = listed.body.items.find((p: any) => p.id === 'ops-new');
  expect(entry.keys.map((k: any) => k.keyPrefix)).toEqual([created.body.keyPrefix, second.body.keyPrefix]);
  const text = JSON.stringify(listed.body);
  for (const key of [created.body.key, second.body.key, api.adminKey]) {
    expect(text).not.toContain(key);
    expect(text).not.toContain(createHash('sha256').update(key).digest('hex'));
  }
});

test('a revoked key and a disabled principal are refused', async () => {
  const created = await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'ops-revoked', displayName: 'Soon Gone', roles: ['operator'] } });
  const key: string = created.body.key;
  expect((await api.as(key)('GET', '/v1/workflows')).status).toBe(200);

  const revoked = await api.request('DELETE', `/v1/admin/api-keys/${created.body.keyId}`);
  expect(revoked).toMatchObject({ status: 200, body: { id: created.body.keyId, principalId: 'ops-revoked', revokedAt: expect.any(String) } });
  expectUnauthenticated(await api.as(key)('GET', '/v1/workflows'), /invalid_token/);
  expect((await api.request('DELETE', '/v1/admin/api-keys/00000000-0000-4000-8000-000000000000')).status).toBe(404);

  // Revoked behind the API's back (another process, or SQL): refused once the short cache lapses.
  const other = await api.createKey({ id: 'ops-disabled', roles: ['operator'] });
  expect((await api.as(other)('GET', '/v1/workflows')).status).toBe(200);
  await api.db.dataSource.query(`UPDATE principal SET disabled_at = now() WHERE id = 'ops-disabled'`);
  await waitFor(async () => (await api.as(other)('GET', '/v1/workflows')).status === 401, 'the disabled principal to be refused', 10_000, 200);
});

test('the principal who starts a workflow or sends an event is its actor in the history', async () => {
  expect((await operator('POST', '/v1/workflows', transfer('T-actor', 'actor-1'))).status).toBe(201);
  await waitFor(async () => (await operator('GET', '/v1/workflows/actor-1')).body.state === 'awaitingApproval', 'the transfer to await approval');
  expect((await operator('POST', '/v1/workflows/actor-1/events', { type: 'transfer.approved', approver: 'ops-e2e' })).status).toBe(200);

  const history = (await auditor('GET', '/v1/workflows/actor-1/history')).body.items;
  expect(history[0]).toMatchObject({ seq: 1, actor: 'principal:ops-e2e', origin: { requestId: expect.any(String) } });
  expect(history.find((r: any) => r.kind === 'event.received')).toMatchObject({ actor: 'principal:ops-e2e' });
  // What the engine does on its own is not the caller's.
  expect(history.find((r: any) => r.kind === 'activity.completed')).toMatchObject({ actor: 'activity:reserveFunds' });
});

test('keys are stored as SHA-256 hashes: no key in the api_key table', async () => {
  const key = await api.createKey({ id: 'ops-hashed', roles: ['operator'] });
  const rows: Record<string, unknown>[] = await api.db.dataSource.query('SELECT * FROM api_key');
  const dump = JSON.stringify(rows);
  for (const k of [key, operatorKey, api.adminKey]) {
    expect(dump).not.toContain(k);
    expect(dump).not.toContain(k.slice(8));
  }
  const own = rows.filter((r) => r.principal_id === 'ops-hashed');
  expect(own).toEqual([expect.objectContaining({ key_hash: createHash('sha256').update(key).digest('hex'), key_prefix: key.slice(0, 8), revoked_at: null })]);
  expect(rows.find((r) => r.principal_id === 'admin')).toMatchObject({ key_hash: createHash('sha256').update(api.adminKey).digest('hex'), source: 'bootstrap' });
});

test('an Idempotency-Key is scoped per principal: the same key from two principals starts two workflows', async () => {
  const otherOperator = api.as(await api.createKey({ id: 'ops-e2e-2', roles: ['operator'] }));
  const headers = { 'Idempotency-Key': 'same-key-1' };
  const first = await operator('POST', '/v1/workflows', transfer('T-idem'), headers);
  const second = await otherOperator('POST', '/v1/workflows', transfer('T-idem'), headers);
  expect([first.status, second.status]).toEqual([201, 201]);
  expect(second.body.id).not.toBe(first.body.id);

  const replay = await operator('POST', '/v1/workflows', transfer('T-idem'), headers);
  expect(replay.status).toBe(200);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body.id).toBe(first.body.id);
});
