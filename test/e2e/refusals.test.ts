import { Client } from 'pg';
import type { HttpHarness, RequestFn } from '../support/http-app';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';
import { waitFor } from '../support/env';

// Every refused action leaves a trace: in the workflow's history when the workflow is the
// caller's tenant's, else in the security event log. Four-eyes holds over the whole tree.

let app: ProcessesApp;
let api: HttpHarness;
const as: Record<string, RequestFn> = {};
const keys: Record<string, string> = {};
const keyOf = async (id: string) => keys[id]!;
let examples: Record<string, any>;

beforeAll(async () => {
  app = await startProcessesApp('refusals', { 'fraud-check': { reviewSlaMs: 600_000 } });
  api = app.api;
  for (const [id, tenant, roles, groups] of [
    ['ops', 'acme', ['operator'], []],
    ['maker', 'acme', ['operator', 'reviewer'], ['fraud-analysts']],
    ['analyst', 'acme', ['reviewer'], ['fraud-analysts']],
    ['analyst-2', 'acme', ['reviewer'], ['fraud-analysts']],
    ['uw', 'acme', ['reviewer'], ['underwriters']],
    ['aud', 'acme', ['auditor'], []],
    ['intruder', 'globex', ['operator', 'reviewer'], ['fraud-analysts']],
    ['gaud', 'globex', ['auditor'], []],
  ] as const) {
    const res = await api.request('POST', '/v1/admin/api-keys', { principal: { id, displayName: id, roles: [...roles], groups: [...groups], tenant } });
    expect(res.status).toBe(201);
    as[id] = api.as(res.body.key);
    keys[id] = res.body.key;
  }
  examples = Object.fromEntries((await api.request('GET', '/v1/definitions')).body.items.map((d: any) => [d.type, d.exampleInput]));
}, 90_000);

afterAll(() => app?.close());

async function fraudReview(id: string, by: RequestFn): Promise<string> {
  await app.partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: `acme/${id}` }, outcome: 'ok', body: { score: 60 } }]);
  expect((await by('POST', '/v1/workflows', { type: 'fraud-check', workflowId: id, input: examples['fraud-check'] })).status).toBe(201);
  return waitFor(async () => (await as.analyst('GET', `/v1/tasks?workflow=${encodeURIComponent(id)}&status=open`)).body.items?.[0]?.id, `the review task of ${id}`);
}

/** Polls tenant acme's workflow until `what` holds. */
const until = (id: string, what: (w: any) => boolean, label: string) =>
  waitFor(async () => {
    const w = (await as.aud('GET', `/v1/workflows/${encodeURIComponent(id)}`)).body;
    return what(w) ? w : undefined;
  }, `${id}: ${label}`, 30_000, 100);

const refusals = async (id: string) =>
  ((await as.aud('GET', `/v1/workflows/${encodeURIComponent(id)}/history`)).body.items as any[]).filter((r) => r.outcome === 'rejected');

test('refusals of actions on a workflow are recorded in its history with the principal, the route and the reason', async () => {
  const task = await fraudReview('fr-1', as.ops);
  // Role: a reviewer may not cancel.
  expect((await as.analyst('POST', '/v1/workflows/fr-1/cancel', { reason: 'x' })).status).toBe(403);
  // Group: an underwriter may not claim the analysts' task.
  expect((await as.uw('POST', `/v1/tasks/${task}/claim`)).status).toBe(403);
  // A signal may not bypass the open task.
  expect((await as.ops('POST', '/v1/workflows/fr-1/events', { type: 'review.approved' })).status).toBe(409);
  // Input the API does not accept (refused before any handler runs).
  expect((await as.ops('POST', '/v1/workflows/fr-1/events', '{"type":"review.note","note":"a\\u0000b"}')).status).toBe(400);
  // Four-eyes: the initiator may not decide (the operator has no reviewer role: refused by role first).
  expect((await as.ops('POST', `/v1/tasks/${task}/complete`, { decision: 'approve', data: { note: 'mine' } })).status).toBe(403);
  // An event the state does not accept.
  expect((await as.ops('POST', '/v1/workflows/fr-1/events', { type: 'no.such.event' })).status).toBe(409);
  // The decision, then a second completion.
  expect((await as.analyst('POST', `/v1/tasks/${task}/complete`, { decision: 'approve', data: { note: 'fine' } })).status).toBe(200);
  const again = await as['analyst-2']('POST', `/v1/tasks/${task}/complete`, { decision: 'decline', data: { note: 'late' } });
  expect(again.status).toBe(409);

  const recorded = await refusals('fr-1');
  const byRoute = (route: RegExp) => recorded.filter((r) => r.kind === 'request.refused' && route.test(r.data.route));
  expect(byRoute(/^POST \/v1\/workflows\/fr-1\/cancel$/)).toEqual([
    expect.objectContaining({ actor: 'principal:analyst', reason: expect.stringMatching(/requires the role operator/), data: expect.objectContaining({ status: 403, code: 'forbidden' }) }),
  ]);
  expect(byRoute(/\/claim$/)).toEqual([expect.objectContaining({ actor: 'principal:uw', data: expect.objectContaining({ status: 403, code: 'task_forbidden' }) })]);
  expect(byRoute(/\/complete$/).map((r) => [r.actor, r.data.code])).toEqual([
    ['principal:ops', 'forbidden'],
    ['principal:analyst-2', 'task_not_open'],
  ]);
  expect(byRoute(/\/events$/).map((r) => r.data.code)).toEqual(['task_required', 'validation_failed']);
  // The event not accepted was recorded by the engine itself, once.
  expect(recorded.filter((r) => r.event?.type === 'no.such.event')).toHaveLength(1);
  for (const r of byRoute(/./)) expect(r.origin).toMatchObject({ requestId: expect.any(String) });
  expect((await as.aud('GET', '/v1/audit/verify?workflowId=fr-1')).body.verified).toBe(true);
});

test('the initiator of a payment may not decide the fraud review of its fraud-check child', async () => {
  await app.partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: 'acme/pay-4e' }, outcome: 'ok', body: { score: 60 } }]);
  const started = await as.maker('POST', '/v1/workflows', { type: 'payment-settlement', workflowId: 'pay-4e', input: examples['payment-settlement'] });
  expect(started.status).toBe(201);
  const child = 'pay-4e:fraudCheck:1';
  const task = await waitFor(async () => (await as.maker('GET', `/v1/tasks?workflow=${encodeURIComponent(child)}&status=open`)).body.items?.[0]?.id, 'the child fraud review');
  const self = await as.maker('POST', `/v1/tasks/${task}/complete`, { decision: 'approve', data: { note: 'my own payment' } });
  expect(self.status).toBe(403);
  expect(self.body).toMatchObject({ type: expect.stringMatching(/four-eyes-violation$/), detail: expect.stringMatching(/workflow tree they started/) });
  const childHistory = (await as.aud('GET', `/v1/workflows/${encodeURIComponent(child)}/history`)).body.items;
  expect(childHistory.filter((r: any) => r.kind === 'task.refused')).toEqual([expect.objectContaining({ actor: 'principal:maker', outcome: 'rejected' })]);
  // Recorded once: the engine wrote it, the API's recorder did not write it again.
  expect(childHistory.filter((r: any) => r.kind === 'request.refused')).toEqual([]);
  expect((await as.analyst('POST', `/v1/tasks/${task}/complete`, { decision: 'approve', data: { note: 'checked' } })).status).toBe(200);
  await until(child, (w) => w.status === 'completed', 'the child approved');
});

test('refusals that belong to no workflow of the tenant go to the hash-chained security event log', async () => {
  await fraudReview('fr-sec', as.ops);
  // Another tenant's id: 404, like a missing one, logged with the intruder and the route.
  expect((await as.intruder('POST', '/v1/workflows/fr-sec/cancel', { reason: 'mine now' })).status).toBe(404);
  // An unknown key: 401, logged with its prefix and the client's address.
  expect((await api.as('stk_UnknownKeyUnknownKeyUnknownKeyUnknownKey123')('GET', '/v1/workflows')).status).toBe(401);
  // A role refused on a tenant-wide route.
  expect((await as.ops('GET', '/v1/audit/export')).status).toBe(403);

  const globex = (await as.gaud('GET', '/v1/audit/security-events?limit=200')).body.items;
  expect(globex).toContainEqual(
    expect.objectContaining({ tenant: 'globex', principal: 'principal:intruder', method: 'POST', route: '/v1/workflows/fr-sec/cancel', status: 404, code: 'workflow_not_found' }),
  );
  expect(globex.every((e: any) => e.tenant === 'globex')).toBe(true);
  const acme = (await as.aud('GET', '/v1/audit/security-events?limit=200')).body.items;
  expect(acme).toContainEqual(expect.objectContaining({ principal: 'principal:ops', route: '/v1/audit/export', status: 403, code: 'forbidden' }));
  expect(acme.every((e: any) => e.tenant === 'acme')).toBe(true);
  // Each tenant numbers its own events from 1, and sees nothing of the deployment-wide chain:
  // nothing in its view counts another tenant's refusals.
  for (const own of [acme, globex]) {
    expect(own.map((e: any) => e.seq)).toEqual(own.map((_: unknown, i: number) => i + 1));
    expect(own.some((e: any) => 'prevHash' in e || 'hash' in e)).toBe(false);
  }
  const all = (await api.request('GET', '/v1/audit/security-events?limit=200')).body.items;
  expect(all).toContainEqual(
    expect.objectContaining({ tenant: null, principal: null, keyPrefix: 'stk_Unkn', clientAddress: expect.stringMatching(/127\.0\.0\.1/), status: 401, code: 'unauthenticated' }),
  );
  // A platform admin sees the chain itself.
  expect(all.every((e: any, i: number) => i === 0 || e.prevHash === all[i - 1].hash)).toBe(true);
  // No one but auditors and platform admins reads it.
  expect((await as.ops('GET', '/v1/audit/security-events')).status).toBe(403);
  // Nothing of the intruder's attempt shows in tenant A's workflow.
  expect((await refusals('fr-sec')).filter((r) => JSON.stringify(r).includes('intruder'))).toEqual([]);

  // The refused read of the log just above is one more event.
  // The chain is one for all tenants: only a platform admin verifies it (the refused read above, and this one, are two more events).
  expect((await as.aud('GET', '/v1/audit/security-events/verify')).status).toBe(403);
  expect((await api.request('GET', '/v1/audit/security-events/verify')).body).toMatchObject({ verified: true, records: all.length + 2 });
  // The database refuses to rewrite it, and a rewrite is detected.
  const db = new Client({ connectionString: api.db.url });
  await db.connect();
  try {
    await expect(db.query(`UPDATE security_event SET reason = 'nothing happened' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM security_event')).rejects.toThrow(/append-only/);
    await db.query('ALTER TABLE security_event DISABLE TRIGGER security_event_no_rewrite');
    await db.query(`UPDATE security_event SET reason = 'nothing happened' WHERE seq = 2`);
    await db.query('ALTER TABLE security_event ENABLE TRIGGER security_event_no_rewrite');
  } finally {
    await db.end();
  }
  expect((await api.request('GET', '/v1/audit/security-events/verify')).body).toMatchObject({ verified: false, firstFailure: { seq: 2, reason: 'hash mismatch' } });
});

test('a route that does not exist echoes nothing and writes nothing into a history; anonymous refusals are bounded per address', async () => {
  await fraudReview('fr-noise', as.ops);
  const forged = await as.aud('PUT', '/v1/workflows/fr-noise?note=APPROVED%20BY%20COMPLIANCE', { x: 1 });
  expect(forged.status).toBe(404);
  expect(JSON.stringify(forged.body)).not.toMatch(/APPROVED|note=/);
  expect((await as.aud('POST', '/v1/workflows/fr-noise/approve?businessKey=IBAN-DE89')).status).toBe(404);
  expect((await refusals('fr-noise')).filter((r) => r.kind === 'request.refused')).toEqual([]);
  const logged = (await as.aud('GET', '/v1/audit/security-events?limit=200')).body.items.filter((e: any) => e.route.startsWith('/v1/workflows/fr-noise'));
  expect(logged.map((e: any) => [e.method, e.route, e.reason])).toEqual([
    ['PUT', '/v1/workflows/fr-noise', 'no route matches this method and path'],
    ['POST', '/v1/workflows/fr-noise/approve', 'no route matches this method and path'],
  ]);

  const anonymous = async () => (await api.request('GET', '/v1/audit/security-events?limit=200&code=unauthenticated')).body.items.filter((e: any) => e.tenant === null).length;
  const before = await anonymous();
  const noKey = api.as(null);
  for (let i = 0; i < 25; i++) expect((await noKey('GET', `/v1/${'x'.repeat(900)}`)).status).toBe(401);
  const after = await anonymous();
  // This process records 10 a minute per address (the earlier tests' count against the same window).
  expect(after - before).toBeLessThanOrEqual(10);
  expect(after).toBeGreaterThan(0);
  const longest = Math.max(...(await api.request('GET', '/v1/audit/security-events?limit=200')).body.items.map((e: any) => e.route.length));
  expect(longest).toBeLessThanOrEqual(201);
});

test('a refusal records no text of the caller\'s: body-parser errors have fixed details; case and a trailing slash change nothing', async () => {
  const task = await fraudReview('fr-echo', as.ops);
  const encoded = await fetch(`${api.url}/v1/workflows/fr-echo/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await keyOf('aud')}`, 'content-type': 'application/json', 'content-encoding': 'x"; APPROVED by compliance' },
    body: '{"type":"x"}',
  });
  expect(encoded.status).toBe(415);
  const charset = await fetch(`${api.url}/v1/workflows/fr-echo/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await keyOf('aud')}`, 'content-type': 'application/json; charset="utf-8 was approved by the CFO"' },
    body: '{}',
  });
  expect(charset.status).toBe(415);
  for (const res of [encoded, charset]) expect(JSON.stringify(await res.json())).not.toMatch(/APPROVED by compliance|approved by the CFO/i);
  // Express matches /V1/… and a trailing slash: so does the recorder.
  expect((await as.ops('POST', '/V1/Workflows/fr-echo/EVENTS', { type: 'review.approved' })).status).toBe(409);
  expect((await as.ops('POST', `/v1/tasks/${task}/complete/`, { decision: 'approve', data: { note: 'x' } })).status).toBe(403);
  const recorded = (await refusals('fr-echo')).filter((r) => r.kind === 'request.refused');
  expect(JSON.stringify(recorded)).not.toMatch(/APPROVED by compliance|approved by the CFO/i);
  expect(recorded.map((r) => [r.data.route, r.data.code])).toEqual([
    ['POST /v1/workflows/fr-echo/events', 'http_error'],
    ['POST /v1/workflows/fr-echo/cancel', 'http_error'],
    ['POST /V1/Workflows/fr-echo/EVENTS', 'task_required'],
    [`POST /v1/tasks/${task}/complete/`, 'forbidden'],
  ]);
  const upper = await fetch(`${api.url}/V1/workflows/fr-echo`, { headers: { authorization: `Bearer ${await keyOf('aud')}` } });
  expect(upper.status).toBe(200);
  expect(upper.headers.get('cache-control')).toBe('no-store');
  // An undeclared key is named as a field, cut, and not echoed in the message.
  const wide = await as.ops('POST', '/v1/workflows', { type: 'fraud-check', input: examples['fraud-check'], ['k'.repeat(3000)]: 1 });
  expect(wide.status).toBe(400);
  expect(wide.body.errors).toEqual([{ field: `${'k'.repeat(64)}…`, message: 'not declared' }]);
});
