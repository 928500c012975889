import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness, type HttpResponse, type RequestFn } from '../support/http-app';
import { incidentDefinitions, partner } from '../support/incident-definitions';
import { OpenApiConformance } from '../support/openapi-conformance';
import { reviewed } from '../support/test-definitions';

let app: HttpHarness;
let doc: any;
let conformance: OpenApiConformance;
let reviewer: RequestFn;

beforeAll(async () => {
  app = await startHttpApp('openapi_responses', [reviewed, ...incidentDefinitions]);
  doc = await (await fetch(`${app.url}/docs-json`)).json();
  conformance = new OpenApiConformance(doc);
  reviewer = app.as(await app.createKey({ id: 'uw-1', roles: ['reviewer'], groups: ['underwriters'] }));
}, 60_000);

afterAll(() => app?.close());

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
/** Answers that are not JSON, each documented as a string in its own media type. */
const NOT_JSON = /^(text\/event-stream|text\/html|text\/csv|text\/vnd\.mermaid|image\/svg\+xml|application\/x-ndjson)$/;

function operations(): { method: string; path: string; op: any }[] {
  return Object.entries<any>(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })));
}

test('every operation documents a 2xx answer with a schema, or no content, or a media type that is not JSON', () => {
  const faults: string[] = [];
  for (const { method, path, op } of operations()) {
    const ok = Object.entries<any>(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
    if (!ok.length) faults.push(`${method.toUpperCase()} ${path}: no 2xx response`);
    for (const [status, response] of ok) {
      if (status === '204') continue;
      const content = Object.entries<any>(response.content ?? {});
      if (!content.length) faults.push(`${method.toUpperCase()} ${path} ${status}: no content`);
      for (const [mediaType, media] of content) {
        if (!media.schema) faults.push(`${method.toUpperCase()} ${path} ${status} ${mediaType}: no schema`);
        else if (!/json$/.test(mediaType) && !NOT_JSON.test(mediaType)) faults.push(`${method.toUpperCase()} ${path} ${status}: unexpected media type ${mediaType}`);
      }
    }
  }
  expect(faults).toEqual([]);
  // The routes that answer JSON name a component schema, which the typed client exports by name.
  expect(doc.paths['/v1/workflows/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WorkflowDetail' });
  for (const name of ['Workflow', 'WorkflowList', 'HistoryRecord', 'HistoryPage', 'Task', 'TaskList', 'Incident', 'IncidentList', 'BatchOperation', 'Definition', 'DefinitionList', 'Problem', 'StatsOverview']) {
    expect(doc.components.schemas[name]).toMatchObject({ type: 'object', properties: expect.any(Object) });
  }
});

test('every error answer of /v1 is a Problem in application/problem+json, and every /v1 route documents 401, 429 and 503', () => {
  const faults: string[] = [];
  for (const { method, path, op } of operations()) {
    for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
      if (Number(status) < 400 || !path.startsWith('/v1/')) continue;
      const schema = response.content?.['application/problem+json']?.schema;
      if (schema?.$ref !== '#/components/schemas/Problem') faults.push(`${method.toUpperCase()} ${path} ${status}`);
    }
    if (path.startsWith('/v1/')) for (const status of ['401', '429', '503']) if (!op.responses?.[status]) faults.push(`${method.toUpperCase()} ${path}: no ${status}`);
  }
  expect(faults).toEqual([]);
  expect(doc.components.schemas.Problem.properties).toMatchObject({ type: expect.any(Object), title: expect.any(Object), status: expect.any(Object), detail: expect.any(Object), errors: expect.any(Object) });
});

/** Sends the request and checks the answer against what the document says for `path` (a template); a 2xx unless `problem` names the status. */
async function conforming(who: RequestFn, method: string, path: string, url = path, body?: unknown, problem?: number): Promise<HttpResponse> {
  const res = await who(method, url, body);
  if (problem) expect(res.status).toBe(problem);
  else if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  conformance.check(method, path, res);
  return res;
}

test('real answers validate against their documented schemas: workflows, history, definitions, console, problems', async () => {
  const started = await conforming(app.request, 'POST', '/v1/workflows', '/v1/workflows', { type: 'demo-transfer', workflowId: 'oa-1', input: { transferId: 'T-oa', amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B' } });
  expect(started.status).toBe(201);
  await waitFor(async () => (await app.request('GET', '/v1/workflows/oa-1')).body.status === 'waiting', 'oa-1 to wait for its approval');
  await conforming(app.request, 'GET', '/v1/workflows/{id}', '/v1/workflows/oa-1');
  await conforming(app.request, 'GET', '/v1/workflows/{id}/outstanding', '/v1/workflows/oa-1/outstanding');
  const signalled = await conforming(app.request, 'POST', '/v1/workflows/{id}/events', '/v1/workflows/oa-1/events', { type: 'transfer.approved', approver: 'ops-1' });
  expect(signalled.body.status).toBe('completed');
  expect((await conforming(app.request, 'GET', '/v1/workflows/{id}/history', '/v1/workflows/oa-1/history')).body.items.length).toBeGreaterThan(3);
  expect((await conforming(app.request, 'GET', '/v1/workflows', '/v1/workflows?type=demo-transfer')).body.items).toHaveLength(1);
  await conforming(app.request, 'GET', '/v1/workflows', '/v1/workflows?overdue=true&retrying=true');
  await conforming(app.request, 'GET', '/v1/definitions', '/v1/definitions');
  await conforming(app.request, 'GET', '/v1/definitions/{type}/{version}', '/v1/definitions/demo-transfer/1');
  await conforming(app.request, 'GET', '/v1/definitions/{type}', '/v1/definitions/demo-transfer');
  await conforming(app.request, 'POST', '/v1/definitions/{type}/impact', '/v1/definitions/demo-transfer/impact', { candidateVersion: 1 });
  await conforming(app.request, 'POST', '/v1/definitions/{type}/{version}/{action}', '/v1/definitions/demo-transfer/1/activate', { reason: 'conformance' });
  await conforming(app.request, 'GET', '/v1/me', '/v1/me');
  await conforming(app.request, 'GET', '/v1/stats/overview', '/v1/stats/overview');
  await conforming(app.request, 'GET', '/v1/audit/verify', '/v1/audit/verify');
  expect((await conforming(app.request, 'GET', '/v1/definitions/{type}/{version}/diagram', '/v1/definitions/demo-transfer/1/diagram')).body).toMatch(/^<svg|<\?xml/);
  await conforming(app.request, 'GET', '/v1/audit/export', '/v1/audit/export?format=csv');
  await conforming(app.request, 'GET', '/v1/audit/security-events/verify', '/v1/audit/security-events/verify');
  expect((await conforming(app.request, 'GET', '/v1/workflows/{id}/diagram', '/v1/workflows/oa-1/diagram?format=mermaid')).body).toMatch(/stateDiagram/);
  await conforming(app.request, 'GET', '/v1/definitions/{type}/{version}/report', '/v1/definitions/demo-transfer/1/report');

  // Problems, as each route documents them.
  await conforming(app.request, 'GET', '/v1/workflows/{id}', '/v1/workflows/no-such', undefined, 404);
  const invalid = await conforming(app.request, 'POST', '/v1/workflows', '/v1/workflows', { type: 'demo-transfer', input: { amount: { value: -1 } } }, 400);
  expect(invalid.body.errors.length).toBeGreaterThan(0);
  await conforming(app.request, 'POST', '/v1/workflows/{id}/events', '/v1/workflows/oa-1/events', { type: 'transfer.approved', approver: 'ops-1' }, 409);
  await conforming(app.as(null), 'GET', '/v1/workflows', '/v1/workflows', undefined, 401);
  await conforming(reviewer, 'GET', '/v1/incidents', '/v1/incidents', undefined, 403);
  // The refusals just made are in the security event log, each item checked against its schema.
  expect((await conforming(app.request, 'GET', '/v1/audit/security-events', '/v1/audit/security-events')).body.items.length).toBeGreaterThan(0);

  const health = await fetch(`${app.url}/health/ready`);
  conformance.check('GET', '/health/ready', { status: health.status, headers: health.headers, body: await health.json() });
});

test('real answers validate: tasks, incidents (whole and summarised), operator actions, batches, admin', async () => {
  await app.request('POST', '/v1/workflows', { type: 'test-reviewed', workflowId: 'oa-task', input: {} });
  const inbox = await waitFor(async () => {
    const res = await conforming(reviewer, 'GET', '/v1/tasks', '/v1/tasks?workflow=oa-task&status=open');
    return res.body.items.length ? res : undefined;
  }, 'the review task');
  const taskId = inbox.body.items[0].id;
  await conforming(reviewer, 'GET', '/v1/tasks/{id}', `/v1/tasks/${taskId}`);
  await conforming(reviewer, 'POST', '/v1/tasks/{id}/claim', `/v1/tasks/${taskId}/claim`);
  expect((await conforming(reviewer, 'POST', '/v1/tasks/{id}/unclaim', `/v1/tasks/${taskId}/unclaim`)).body.claimedBy).toBeNull();
  expect((await conforming(reviewer, 'POST', '/v1/tasks/{id}/complete', `/v1/tasks/${taskId}/complete`, { decision: 'approve', data: { note: 'fine' } })).body.status).toBe('completed');

  partner.down = true;
  await app.request('POST', '/v1/workflows', { type: 'incident-strict', workflowId: 'oa-incident', input: {} });
  const incidentId = await waitFor(async () => (await app.request('GET', '/v1/workflows/oa-incident')).body.incidents?.[0]?.id, 'an incident');
  expect((await conforming(app.request, 'GET', '/v1/workflows/{id}', '/v1/workflows/oa-incident')).body.incidents[0]).toHaveProperty('error');
  expect((await conforming(reviewer, 'GET', '/v1/workflows/{id}', '/v1/workflows/oa-incident')).body.incidents[0]).not.toHaveProperty('error');
  await conforming(app.request, 'GET', '/v1/incidents', '/v1/incidents?status=open');
  await conforming(app.request, 'GET', '/v1/incidents/{id}', `/v1/incidents/${incidentId}`);
  partner.down = false;
  expect((await conforming(app.request, 'POST', '/v1/incidents/{id}/retry', `/v1/incidents/${incidentId}/retry`, { reason: 'partner is back' })).status).toBe(200);

  await app.request('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'oa-pause', input: { tickMs: 60_000 } });
  expect((await conforming(app.request, 'POST', '/v1/workflows/{id}/pause', '/v1/workflows/oa-pause/pause', { reason: 'dispute' })).body.status).toBe('paused');
  await conforming(app.request, 'POST', '/v1/workflows/{id}/resume', '/v1/workflows/oa-pause/resume', { reason: 'settled' });
  await app.request('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'oa-cancel', input: { tickMs: 60_000 } });
  expect((await conforming(app.request, 'POST', '/v1/workflows/{id}/cancel', '/v1/workflows/oa-cancel/cancel', { reason: 'not needed' })).body.status).toBe('cancelled');
  await app.request('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'oa-terminate', input: { tickMs: 60_000 } });
  expect((await conforming(app.request, 'POST', '/v1/workflows/{id}/terminate', '/v1/workflows/oa-terminate/terminate', { reason: 'test' })).body.status).toBe('terminated');
  const filter = { type: 'incident-pausable', status: 'waiting' as const };
  expect((await conforming(app.request, 'POST', '/v1/batch-operations', '/v1/batch-operations', { action: 'cancel', filter, reason: 'test', dryRun: true })).body.matching).toBe(1);
  const batch = await conforming(app.request, 'POST', '/v1/batch-operations', '/v1/batch-operations', { action: 'cancel', filter, reason: 'test' });
  expect(batch.status).toBe(202);
  await conforming(app.request, 'GET', '/v1/batch-operations/{id}', `/v1/batch-operations/${batch.body.id}`);
  await conforming(app.request, 'GET', '/v1/batch-operations', '/v1/batch-operations');
  await conforming(app.request, 'GET', '/v1/operator-approvals', '/v1/operator-approvals');

  const issued = await conforming(app.request, 'POST', '/v1/admin/api-keys', '/v1/admin/api-keys', { principal: { id: 'oa-ops', displayName: 'Operator', roles: ['operator'] } });
  expect(issued.status).toBe(201);
  await conforming(app.request, 'GET', '/v1/admin/principals', '/v1/admin/principals');
  expect((await conforming(app.request, 'DELETE', '/v1/admin/api-keys/{id}', `/v1/admin/api-keys/${issued.body.keyId}`)).body.revokedAt).toEqual(expect.any(String));
});

test('the check itself refuses a field the document does not name', () => {
  const res = { status: 200, headers: new Headers({ 'content-type': 'application/json' }), body: { status: 'ok', uptime: 1 } };
  expect(() => conformance.check('GET', '/health', res)).toThrow(/additional properties \(uptime\)/);
});
