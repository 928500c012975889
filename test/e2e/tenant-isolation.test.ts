import { randomUUID } from 'node:crypto';
import type { HttpHarness, HttpResponse, RequestFn } from '../support/http-app';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';
import { waitFor } from '../support/env';
import { query } from '../../src/engine/store/sql';

// Tenant A (acme) has a workflow waiting on an analyst's task; tenant B (globex) tries every
// route of the OpenAPI document with A's ids, as each of its roles. Another tenant's object must
// answer exactly like one that does not exist, and nothing of A's may show in B's lists.

let app: ProcessesApp;
let api: HttpHarness;
const A: Record<string, RequestFn> = {};
const B: Record<string, RequestFn> = {};
const ROLE_SET = [
  ['ops', ['operator'], []],
  ['rev', ['reviewer'], ['fraud-analysts', 'underwriters', 'compliance']],
  ['aud', ['auditor'], []],
  ['adm', ['admin'], []],
] as const;

const SECRET_WF = 'acme-secret-wf';
const SECRET_SCHEDULE = 'acme-secret-schedule';
let secretTask: string;
let secretKeyId: string;
let secretIncident: string;
let secretApproval: string;
let secretBatch: string;
let examples: Record<string, any>;

beforeAll(async () => {
  app = await startProcessesApp('tenancy_iso', { 'fraud-check': { reviewSlaMs: 600_000 } });
  api = app.api;
  for (const [tenant, into] of [
    ['acme', A],
    ['globex', B],
  ] as const) {
    for (const [name, roles, groups] of ROLE_SET) {
      const res = await api.request('POST', '/v1/admin/api-keys', { principal: { id: `${tenant}-${name}`, displayName: `${tenant} ${name}`, roles: [...roles], groups: [...groups], tenant } });
      expect(res.status).toBe(201);
      into[name] = api.as(res.body.key);
      if (tenant === 'acme' && name === 'ops') secretKeyId = res.body.keyId;
    }
  }
  examples = Object.fromEntries((await api.request('GET', '/v1/definitions')).body.items.map((d: any) => [d.type, d.exampleInput]));
  await app.partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: `acme/${SECRET_WF}` }, outcome: 'ok', body: { score: 60 } }]);
  const started = await A.ops('POST', '/v1/workflows', { type: 'fraud-check', workflowId: SECRET_WF, input: examples['fraud-check'] });
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ id: SECRET_WF, tenant: 'acme' });
  secretTask = await waitFor(async () => (await A.rev('GET', `/v1/tasks?workflow=${SECRET_WF}&status=open`)).body.items?.[0]?.id, 'the analyst task of tenant A');
  // A's operator objects. An incident and an approval are written as the engine would (this
  // deployment has no bug to open one, nor dual control); the batch is A's own, over nothing.
  secretIncident = randomUUID();
  await query(api.db.dataSource, `INSERT INTO incident (id, tenant, workflow_id, type, definition_version, kind, status, error) VALUES ($1, 'acme', $2, 'fraud-check', 1, 'machine_error', 'open', '{"name":"Error","message":"probe"}')`, [secretIncident, `acme/${SECRET_WF}`]);
  secretApproval = randomUUID();
  await query(api.db.dataSource, `INSERT INTO operator_approval (id, tenant, action, target, reason, requested_by, expires_at, status) VALUES ($1, 'acme', 'terminate', $2, 'probe', 'principal:acme-ops', now() + interval '1 hour', 'pending')`, [secretApproval, { action: 'terminate', workflowId: SECRET_WF }]);
  const batch = await A.ops('POST', '/v1/batch-operations', { action: 'pause', filter: { businessKey: 'acme-nothing' }, reason: 'probe' });
  expect(batch.status).toBe(202);
  secretBatch = batch.body.id;
  expect((await A.ops('POST', '/v1/schedules', { id: SECRET_SCHEDULE, type: 'fraud-check', input: examples['fraud-check'], spec: { everyMs: 3_600_000 }, paused: true })).status).toBe(201);
}, 90_000);

afterAll(() => app?.close());

/** How each operation of the OpenAPI document is probed. A new route fails the test until it is listed here. */
type Probe =
  | { kind: 'workflow'; body?: unknown } // {id} is a workflow id
  | { kind: 'schedule'; body?: unknown } // {id} is a schedule id
  | { kind: 'task'; body?: unknown } // {id} is a task id
  | { kind: 'key' } // {id} is an API key id
  | { kind: 'incident'; body?: unknown } // {id} is an incident id
  | { kind: 'approval'; body?: unknown } // {id} is an operator approval id
  | { kind: 'batch' } // {id} is a batch operation id
  | { kind: 'collection' } // a tenant-wide read: nothing of A's may appear
  | { kind: 'create' } // tested on its own below (namespaces, tenant admins)
  | { kind: 'global' }; // the deployment's definitions, the same for every tenant

const OPERATIONS: Record<string, Probe> = {
  'POST /v1/workflows': { kind: 'create' },
  'GET /v1/workflows': { kind: 'collection' },
  'GET /v1/workflows/{id}': { kind: 'workflow' },
  'POST /v1/workflows/{id}/events': { kind: 'workflow', body: { type: 'review.approved', decidedBy: 'x' } },
  'POST /v1/workflows/{id}/cancel': { kind: 'workflow', body: { reason: 'probe' } },
  'GET /v1/workflows/{id}/history': { kind: 'workflow' },
  'GET /v1/workflows/{id}/diagram': { kind: 'workflow' },
  'GET /v1/workflows/{id}/outstanding': { kind: 'workflow' },
  'POST /v1/workflows/{id}/pause': { kind: 'workflow', body: { reason: 'probe' } },
  'POST /v1/workflows/{id}/resume': { kind: 'workflow', body: { reason: 'probe' } },
  'POST /v1/workflows/{id}/terminate': { kind: 'workflow', body: { reason: 'probe' } },
  'POST /v1/workflows/{id}/move': { kind: 'workflow', body: { toState: 'reserving', reason: 'probe' } },
  'POST /v1/workflows/{id}/migrate': { kind: 'workflow', body: { toVersion: 2, reason: 'probe' } },
  'GET /v1/incidents': { kind: 'collection' },
  'GET /v1/incidents/{id}': { kind: 'incident' },
  'POST /v1/incidents/{id}/retry': { kind: 'incident', body: { reason: 'probe' } },
  'POST /v1/incidents/{id}/resolve': { kind: 'incident', body: { reason: 'probe' } },
  'POST /v1/batch-operations': { kind: 'create' },
  'GET /v1/batch-operations': { kind: 'collection' },
  'GET /v1/batch-operations/{id}': { kind: 'batch' },
  'GET /v1/operator-approvals': { kind: 'collection' },
  'GET /v1/operator-approvals/{id}': { kind: 'approval' },
  'POST /v1/operator-approvals/{id}/approve': { kind: 'approval', body: { reason: 'probe' } },
  'POST /v1/operator-approvals/{id}/reject': { kind: 'approval', body: { reason: 'probe' } },
  'GET /v1/definitions': { kind: 'global' },
  // The versions of a type are the deployment's; their instance counts are the caller's tenant's (versions.test.ts).
  'GET /v1/definitions/{type}': { kind: 'global' },
  'POST /v1/definitions/{type}/{version}/{action}': { kind: 'global' },
  // Replays the caller's tenant's instances only (impact.test.ts).
  'POST /v1/definitions/{type}/impact': { kind: 'global' },
  'GET /v1/definitions/{type}/{version}': { kind: 'global' },
  'GET /v1/definitions/{type}/{version}/diagram': { kind: 'global' },
  'GET /v1/definitions/{type}/{version}/report': { kind: 'global' },
  'GET /v1/tasks': { kind: 'collection' },
  'GET /v1/tasks/{id}': { kind: 'task' },
  'POST /v1/tasks/{id}/claim': { kind: 'task' },
  'POST /v1/tasks/{id}/unclaim': { kind: 'task' },
  'POST /v1/tasks/{id}/complete': { kind: 'task', body: { decision: 'approve', data: { note: 'probe' } } },
  'POST /v1/tasks/{id}/reassign': { kind: 'task', body: { assignee: 'globex-rev' } },
  'POST /v1/admin/api-keys': { kind: 'create' },
  'GET /v1/admin/principals': { kind: 'collection' },
  'DELETE /v1/admin/api-keys/{id}': { kind: 'key' },
  'GET /v1/audit/verify': { kind: 'collection' },
  'GET /v1/audit/export': { kind: 'collection' },
  'GET /v1/audit/security-events': { kind: 'collection' },
  'GET /v1/audit/security-events/verify': { kind: 'collection' },
  'GET /v1/stats/overview': { kind: 'collection' },
  'GET /v1/me': { kind: 'collection' },
  'POST /v1/schedules': { kind: 'create' },
  'GET /v1/schedules': { kind: 'collection' },
  'GET /v1/schedules/{id}': { kind: 'schedule' },
  'DELETE /v1/schedules/{id}': { kind: 'schedule' },
  'POST /v1/schedules/{id}/pause': { kind: 'schedule', body: { reason: 'probe' } },
  'POST /v1/schedules/{id}/resume': { kind: 'schedule', body: { reason: 'probe' } },
  'POST /v1/schedules/{id}/trigger': { kind: 'schedule' },
  'POST /v1/schedules/{id}/backfill': { kind: 'schedule', body: { from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z' } },
  // Without Accept: text/event-stream it answers 406 at once; live.test.ts reads the stream as another tenant.
  'GET /v1/live': { kind: 'collection' },
  'GET /health': { kind: 'global' },
  'GET /health/ready': { kind: 'global' },
  'GET /metrics': { kind: 'global' },
};

async function operations(): Promise<string[]> {
  const doc = (await api.request('GET', '/docs-json')).body;
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** A response with the probed id, the request id and the instance path taken out: what an attacker compares. */
function normalised(res: HttpResponse, id: string): string {
  const { requestId: _r, instance: _i, ...body } = typeof res.body === 'object' && res.body !== null ? res.body : { text: res.body };
  return `${res.status} ${JSON.stringify(body).split(id).join('<id>')}`;
}

const A_MARKERS = () => [SECRET_WF, SECRET_SCHEDULE, secretTask, secretKeyId, secretIncident, secretApproval, secretBatch, 'acme-ops', 'acme-rev', 'acme-aud', 'acme-adm', '"acme"'];

test('every operation of the OpenAPI document is in the probe table (a new route must be covered)', async () => {
  const missing = (await operations()).filter((op) => !(op in OPERATIONS));
  expect(missing).toEqual([]);
  // The platform admin's tenant filter is documented on every read of /v1.
  const doc = (await api.request('GET', '/docs-json')).body;
  for (const [path, item] of Object.entries(doc.paths as Record<string, any>)) {
    if (path.startsWith('/v1/') && item.get) expect([path, item.get.parameters.some((p: any) => p.name === 'tenant' && p.in === 'query')]).toEqual([path, true]);
  }
});

test("tenant B, as every role and with no key, gets A's objects exactly as missing ones: 0 leaks, 0 unexpected 2xx, 0 5xx", async () => {
  const findings: string[] = [];
  let probes = 0;
  const principals: [string, RequestFn][] = [...Object.entries(B).map(([n, f]) => [`globex-${n}`, f] as [string, RequestFn]), ['no key', api.as(null)]];
  for (const op of await operations()) {
    const probe = OPERATIONS[op];
    if (!probe) continue;
    const [method, template] = op.split(' ') as [string, string];
    if (probe.kind !== 'collection' && probe.kind !== 'create' && probe.kind !== 'global') {
      const foreign = { workflow: SECRET_WF, schedule: SECRET_SCHEDULE, task: secretTask, key: secretKeyId, incident: secretIncident, approval: secretApproval, batch: secretBatch }[probe.kind];
      const missing = probe.kind === 'workflow' ? 'globex-missing-wf' : probe.kind === 'schedule' ? 'globex-missing-schedule' : randomUUID();
      const body = 'body' in probe ? probe.body : undefined;
      for (const [who, as] of principals) {
        const [theirs, none] = await Promise.all([as(method, template.replace('{id}', foreign), body), as(method, template.replace('{id}', missing), body)]);
        probes += 2;
        if (theirs.status >= 500) findings.push(`${op} as ${who}: ${theirs.status}`);
        if (theirs.status < 300) findings.push(`${op} as ${who}: ${theirs.status} on tenant A's object`);
        if (normalised(theirs, foreign) !== normalised(none, missing)) findings.push(`${op} as ${who}: A's object answers ${normalised(theirs, foreign)}, a missing one ${normalised(none, missing)}`);
      }
    } else if (probe.kind === 'collection') {
      for (const [who, as] of principals) {
        const res = await as(method, template);
        probes++;
        if (res.status >= 500) findings.push(`${op} as ${who}: ${res.status}`);
        if (template.startsWith('/v1/audit/security-events') && Array.isArray(res.body?.items)) {
          // B's own refused attempts name A's ids (B sent them): what must not show is A's events.
          for (const e of res.body.items) if (e.tenant !== 'globex') findings.push(`${op} as ${who}: shows an event of ${e.tenant}`);
          continue;
        }
        const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
        for (const marker of A_MARKERS()) if (text.includes(marker)) findings.push(`${op} as ${who}: shows ${marker}`);
      }
    }
  }
  expect(findings).toEqual([]);
  expect(probes).toBeGreaterThan(100);
  // A still sees its own: the probes above did reach real objects.
  expect((await A.ops('GET', `/v1/workflows/${SECRET_WF}`)).status).toBe(200);
  expect((await A.rev('GET', `/v1/tasks/${secretTask}`)).body).toMatchObject({ status: 'open', workflowId: SECRET_WF });
});

test("B's batch operations select only B's workflows; A's incident, approval and batch stay as they were", async () => {
  const dry = await B.ops('POST', '/v1/batch-operations', { action: 'terminate', filter: {}, reason: 'probe', dryRun: true });
  expect(dry.status).toBe(200);
  expect(JSON.stringify(dry.body)).not.toContain(SECRET_WF);
  const run = await B.ops('POST', '/v1/batch-operations', { action: 'terminate', filter: { type: 'fraud-check' }, reason: 'probe' });
  expect(run.status).toBe(202);
  await waitFor(async () => (await B.ops('GET', `/v1/batch-operations/${run.body.id}`)).body.status === 'completed', "B's batch to complete");
  expect((await A.ops('GET', `/v1/workflows/${SECRET_WF}`)).body.status).toBe('waiting');
  expect((await A.ops('GET', `/v1/incidents/${secretIncident}`)).body.status).toBe('open');
  expect((await A.ops('GET', `/v1/operator-approvals/${secretApproval}`)).body.status).toBe('pending');
});

test("B's overview, audit verify and export count nothing of A's", async () => {
  expect((await B.ops('GET', '/v1/stats/overview')).body).toMatchObject({ counts: [], tasks: { open: 0, overdue: 0 } });
  expect((await A.ops('GET', '/v1/stats/overview')).body.counts).toContainEqual({ type: 'fraud-check', status: 'waiting', count: 1 });
  expect((await B.aud('GET', '/v1/audit/verify')).body).toMatchObject({ verified: true, instances: 0, records: 0 });
  expect((await A.aud('GET', '/v1/audit/verify')).body).toMatchObject({ verified: true, instances: 1 });
  expect((await B.aud('GET', '/v1/audit/export')).body ?? '').toBe('');
  expect(String((await A.aud('GET', '/v1/audit/export')).body)).toContain(`acme/${SECRET_WF}`);
  expect((await B.rev('GET', '/v1/tasks')).body.items).toEqual([]);
  expect((await A.rev('GET', '/v1/tasks')).body.items.map((t: any) => t.id)).toEqual([secretTask]);
});

test('workflow ids are a namespace per tenant: B starts its own with A\'s id, and neither learns of the other', async () => {
  const input = { ...examples['fraud-check'], transactionId: 'globex-tx' };
  const mine = await B.ops('POST', '/v1/workflows', { type: 'fraud-check', workflowId: SECRET_WF, input });
  expect(mine.status).toBe(201);
  expect(mine.body).toMatchObject({ id: SECRET_WF, tenant: 'globex', input: { transactionId: 'globex-tx' } });
  expect(mine.headers.get('location')).toBe(`/v1/workflows/${SECRET_WF}`);
  // The same start again is B's own replay; A's workflow is untouched.
  expect((await B.ops('POST', '/v1/workflows', { type: 'fraud-check', workflowId: SECRET_WF, input })).status).toBe(200);
  const a = (await A.ops('GET', `/v1/workflows/${SECRET_WF}`)).body;
  expect(a).toMatchObject({ tenant: 'acme', status: 'waiting' });
  expect(a.input.transactionId).not.toBe('globex-tx');
  expect((await B.ops('GET', `/v1/workflows/${SECRET_WF}`)).body.tenant).toBe('globex');
  const aHistory = (await A.aud('GET', `/v1/workflows/${SECRET_WF}/history`)).body.items;
  expect(aHistory.every((r: any) => !JSON.stringify(r).includes('globex'))).toBe(true);
  // Idempotency keys are scoped by tenant too: the same key in A is A's own request.
  const key = { 'Idempotency-Key': 'shared-key-1' };
  const b1 = await B.ops('POST', '/v1/workflows', { type: 'fraud-check', input }, key);
  const a1 = await A.ops('POST', '/v1/workflows', { type: 'fraud-check', input: examples['fraud-check'] }, key);
  expect([b1.status, a1.status]).toEqual([201, 201]);
  expect(a1.body.id).not.toBe(b1.body.id);
  expect(a1.body.tenant).toBe('acme');
});

test('a tenant admin manages only its own tenant; principal ids are a namespace per tenant', async () => {
  const foreign = await B.adm('POST', '/v1/admin/api-keys', { principal: { id: 'intruder', displayName: 'x', roles: ['operator'], tenant: 'acme' } });
  expect(foreign.status).toBe(403);
  const platform = await B.adm('POST', '/v1/admin/api-keys', { principal: { id: 'root', displayName: 'x', roles: ['platform-admin'] } });
  expect(platform.status).toBe(403);
  // acme-ops exists in A; B's admin may still name one of its own so, without learning of A's.
  const same = await B.adm('POST', '/v1/admin/api-keys', { principal: { id: 'acme-ops', displayName: 'Globex namesake', roles: ['operator'] } });
  expect(same.status).toBe(201);
  expect(same.body.principal).toMatchObject({ id: 'acme-ops', tenant: 'globex' });
  // The namesake's key is the namesake's: globex's, never acme's principal of that id.
  const namesake = api.as(same.body.key);
  expect((await namesake('GET', '/v1/me')).body).toMatchObject({ id: 'acme-ops', tenant: 'globex', displayName: 'Globex namesake' });
  expect((await namesake('GET', `/v1/workflows/${SECRET_WF}`)).body.tenant).toBe('globex');
  expect((await A.ops('GET', '/v1/me')).body).toMatchObject({ id: 'acme-ops', tenant: 'acme' });
  const listed = (await B.adm('GET', '/v1/admin/principals')).body.items;
  expect(listed.every((p: any) => p.tenant === 'globex')).toBe(true);
  expect((await B.adm('DELETE', `/v1/admin/api-keys/${secretKeyId}`)).status).toBe(404);
  expect((await A.ops('GET', '/v1/me')).status).toBe(200);
  // A tenant admin may not revoke what it may not grant: a platform admin's key, or the bootstrap key.
  const root = await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'globex-root', displayName: 'root', roles: ['platform-admin'], tenant: 'globex' } });
  expect(root.status).toBe(201);
  expect((await B.adm('DELETE', `/v1/admin/api-keys/${root.body.keyId}`)).status).toBe(404);
  expect((await api.as(root.body.key)('GET', '/v1/me')).status).toBe(200);
  const defaultAdmin = api.as((await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'default-adm', displayName: 'x', roles: ['admin'] } })).body.key);
  const bootstrapKey = (await defaultAdmin('GET', '/v1/admin/principals')).body.items.find((p: any) => p.id === 'admin').keys.find((k: any) => k.source === 'bootstrap');
  expect((await defaultAdmin('DELETE', `/v1/admin/api-keys/${bootstrapKey.id}`)).status).toBe(404);
  expect((await api.request('GET', '/v1/me')).status).toBe(200);
});

test('a platform admin reads another tenant only when it names it, and acts there never', async () => {
  const admin = api.request;
  expect((await admin('GET', '/v1/me')).body.roles).toContain('platform-admin');
  expect((await admin('GET', `/v1/workflows/${SECRET_WF}`)).status).toBe(404);
  const named = await admin('GET', `/v1/workflows/${SECRET_WF}?tenant=acme`);
  expect(named.status).toBe(200);
  expect(named.body).toMatchObject({ id: SECRET_WF, tenant: 'acme' });
  expect((await admin('GET', '/v1/workflows?tenant=acme')).body.items.every((w: any) => w.tenant === 'acme')).toBe(true);
  expect((await admin('GET', `/v1/admin/principals?tenant=acme`)).body.items.map((p: any) => p.id)).toContain('acme-ops');
  expect((await admin('POST', `/v1/workflows/${SECRET_WF}/cancel?tenant=acme`, { reason: 'no' })).status).toBe(403);
  // Only a platform admin may name a tenant; a bad name is a 400 naming the field.
  const other = await A.adm('GET', '/v1/workflows?tenant=globex');
  expect(other.status).toBe(403);
  expect((await A.ops('GET', '/v1/workflows?tenant=acme')).status).toBe(200);
  expect((await admin('GET', '/v1/workflows?tenant=a%2Fb')).body.errors).toEqual([{ field: 'tenant', message: 'not a tenant name' }]);
  expect((await A.ops('GET', `/v1/workflows/${SECRET_WF}`)).body.status).toBe('waiting');
});
