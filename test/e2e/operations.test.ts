import { query } from '../../src/engine/store/sql';
import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness, type RequestFn } from '../support/http-app';
import { incidentDefinitions, partner } from '../support/incident-definitions';

let app: HttpHarness;
let op1: RequestFn;
let op2: RequestFn;
let auditor: RequestFn;
let reviewer: RequestFn;
let otherTenant: RequestFn;

beforeAll(async () => {
  app = await startHttpApp('operations', incidentDefinitions, { env: { DUAL_CONTROL: 'terminate,batch', OPERATIONS_INTERVAL_MS: '200' } });
  op1 = app.as(await app.createKey({ id: 'op-1', roles: ['operator'] }));
  op2 = app.as(await app.createKey({ id: 'op-2', roles: ['operator'] }));
  auditor = app.as(await app.createKey({ id: 'aud-1', roles: ['auditor'] }));
  reviewer = app.as(await app.createKey({ id: 'rev-1', roles: ['reviewer'], groups: ['fraud-analysts'] }));
  otherTenant = app.as(await app.createKey({ id: 'op-x', roles: ['operator'], tenant: 'other-bank' }));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

async function openIncidentOn(id: string): Promise<any> {
  partner.down = true;
  const started = await op1('POST', '/v1/workflows', { type: 'incident-strict', workflowId: id, input: {} });
  expect(started.status).toBe(201);
  return waitFor(async () => {
    const w = await op1('GET', `/v1/workflows/${id}`);
    return w.body.incidents?.length ? w.body.incidents[0] : undefined;
  }, `an incident on ${id}`);
}

test('incidents: listed with filters, shown on the workflow, retried after the partner recovers; no stack trace anywhere', async () => {
  const incident = await openIncidentOn('ops-strict-1');
  expect(incident).toMatchObject({ workflowId: 'ops-strict-1', kind: 'activity_exhausted', status: 'open', type: 'incident-strict' });
  expect(JSON.stringify(incident)).not.toMatch(/\bat .*\.(ts|js):\d+/);
  expect(incident.input).toMatchObject({ kind: 'activity', activityId: 'partner' });

  const listed = await auditor('GET', '/v1/incidents?status=open&kind=activity_exhausted&workflowId=ops-strict-1');
  expect(listed.status).toBe(200);
  expect(listed.body.items.map((i: any) => i.id)).toEqual([incident.id]);
  const withIncident = await op1('GET', '/v1/workflows?hasIncident=true');
  expect(withIncident.body.items.map((w: any) => w.id)).toContain('ops-strict-1');
  expect((await op1('GET', '/v1/workflows?hasIncident=false')).body.items.map((w: any) => w.id)).not.toContain('ops-strict-1');
  expect((await op1('GET', '/v1/incidents?kind=bogus')).status).toBe(400);
  expect((await op1('GET', `/v1/incidents/${incident.id}`)).body.id).toBe(incident.id);

  // Another tenant's operator sees nothing of it and cannot act on it.
  expect((await otherTenant('GET', `/v1/incidents/${incident.id}`)).status).toBe(404);
  expect((await otherTenant('POST', `/v1/incidents/${incident.id}/retry`, { reason: 'mine now' })).status).toBe(404);
  expect((await otherTenant('GET', '/v1/incidents')).body.items).toEqual([]);
  // Roles: a reviewer may not read or act; an auditor may read, not act.
  expect((await reviewer('GET', '/v1/incidents')).status).toBe(403);
  expect((await auditor('POST', `/v1/incidents/${incident.id}/retry`, { reason: 'x' })).status).toBe(403);
  // A reason is required.
  const noReason = await op1('POST', `/v1/incidents/${incident.id}/retry`, {});
  expect(noReason.status).toBe(400);
  expect(noReason.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(noReason.body.errors).toEqual([{ field: 'reason', message: expect.any(String) }]);

  // Shown where operators look: the overview and the metrics.
  expect((await op1('GET', '/v1/stats/overview')).body.incidents).toEqual({ open: 1, byKind: [{ type: 'incident-strict', kind: 'activity_exhausted', count: 1 }] });
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  expect(metrics).toMatch(/^statera_incidents_open\{type="incident-strict",kind="activity_exhausted"\} 1$/m);

  partner.down = false;
  const retried = await op1('POST', `/v1/incidents/${incident.id}/retry`, { reason: 'partner is back' });
  expect(retried.status).toBe(200);
  expect(retried.body.incident).toMatchObject({ status: 'resolved', resolution: 'retried', resolvedBy: 'principal:op-1' });
  await waitFor(async () => (await op1('GET', '/v1/workflows/ops-strict-1')).body.status === 'completed', 'the workflow to complete');
  const again = await op1('POST', `/v1/incidents/${incident.id}/retry`, { reason: 'twice' });
  expect(again.status).toBe(409);
  expect(again.body.type).toMatch(/incident-not-open$/);
});

test('pause, resume and terminate over REST, with reasons in the history; terminate needs a second operator', async () => {
  const start = await op1('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'ops-pause-1', input: { tickMs: 60_000 } });
  expect(start.status).toBe(201);
  expect((await op1('POST', '/v1/workflows/ops-pause-1/pause', { reason: '' })).status).toBe(400);
  const paused = await op1('POST', '/v1/workflows/ops-pause-1/pause', { reason: 'customer called' });
  expect(paused.status).toBe(200);
  expect(paused.body.status).toBe('paused');
  expect((await op1('POST', '/v1/workflows/ops-pause-1/pause', { reason: 'again' })).status).toBe(409);
  const signal = await op1('POST', '/v1/workflows/ops-pause-1/events', { type: 'note.added' });
  expect(signal.status).toBe(202);
  expect(signal.body.held).toEqual({ reason: 'paused' });
  expect((await op1('GET', '/v1/workflows?status=paused')).body.items.map((w: any) => w.id)).toContain('ops-pause-1');
  const resumed = await op2('POST', '/v1/workflows/ops-pause-1/resume', { reason: 'all clear' });
  expect(resumed.status).toBe(200);
  expect(resumed.body).toMatchObject({ status: 'completed', state: 'early' });
  expect((await op1('POST', '/v1/workflows/ops-pause-1/resume', { reason: 'x' })).status).toBe(409);

  await op1('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'ops-term-1', input: { tickMs: 60_000 } });
  const asked = await op1('POST', '/v1/workflows/ops-term-1/terminate', { reason: 'duplicate order' });
  expect(asked.status).toBe(202);
  const approval = asked.body.pendingApproval;
  expect(approval).toMatchObject({ action: 'terminate', status: 'pending', requestedBy: 'principal:op-1', target: { workflowId: 'ops-term-1' } });
  expect(asked.headers.get('location')).toBe(`/v1/operator-approvals/${approval.id}`);
  expect((await op1('GET', '/v1/workflows/ops-term-1')).body.status).toBe('waiting');
  // Dual control: the requester may not approve their own; another tenant cannot even see it.
  const self = await op1('POST', `/v1/operator-approvals/${approval.id}/approve`, {});
  expect(self.status).toBe(403);
  expect(self.body.type).toMatch(/self-approval$/);
  expect((await otherTenant('POST', `/v1/operator-approvals/${approval.id}/approve`, {})).status).toBe(404);
  expect((await auditor('POST', `/v1/operator-approvals/${approval.id}/approve`, {})).status).toBe(403);
  expect((await op2('GET', '/v1/operator-approvals?status=pending')).body.items.map((a: any) => a.id)).toContain(approval.id);
  const approved = await op2('POST', `/v1/operator-approvals/${approval.id}/approve`, { reason: 'checked the duplicate' });
  expect(approved.status).toBe(200);
  expect(approved.body.approval).toMatchObject({ status: 'approved', decidedBy: 'principal:op-2' });
  expect(approved.body.result).toMatchObject({ status: 'terminated' });
  expect((await op2('POST', `/v1/operator-approvals/${approval.id}/approve`, {})).status).toBe(409);
  const history = (await auditor('GET', '/v1/workflows/ops-term-1/history')).body.items;
  const kinds = history.map((r: any) => `${r.kind}:${r.actor}`);
  expect(kinds).toEqual(expect.arrayContaining([
    'operator.approval.requested:principal:op-1',
    'request.refused:principal:op-1',
    'operator.approval.approved:principal:op-2',
    'workflow.terminate.requested:principal:op-2',
    'workflow.terminated:system:engine',
  ]));
  expect(history.find((r: any) => r.kind === 'workflow.terminate.requested').data).toMatchObject({ approvalId: approval.id });
});

test('a batch by query: dry run, approval, progress, an outcome per item, each recorded in its workflow', async () => {
  for (let i = 0; i < 6; i++) await op1('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: `ops-batch-${i}`, businessKey: 'batch-A', input: { tickMs: 60_000 } });
  // One of them is paused already: the batch skips it, and says so.
  await op1('POST', '/v1/workflows/ops-batch-0/pause', { reason: 'earlier' });
  const filter = { type: 'incident-pausable', businessKey: 'batch-A' };
  const dry = await op1('POST', '/v1/batch-operations', { action: 'pause', filter, reason: 'incident INC-42', dryRun: true });
  expect(dry.status).toBe(200);
  expect(dry.body).toMatchObject({ dryRun: true, matching: 6 });
  expect(dry.body.sample).toHaveLength(6);
  expect((await op1('POST', '/v1/batch-operations', { action: 'explode', filter, reason: 'x' })).status).toBe(400);
  expect((await op1('POST', '/v1/batch-operations', { action: 'pause', filter: { status: 'nope' }, reason: 'x' })).body.errors[0].field).toBe('filter.status');

  const asked = await op1('POST', '/v1/batch-operations', { action: 'pause', filter, reason: 'incident INC-42' });
  expect(asked.status).toBe(202);
  const approval = asked.body.pendingApproval;
  expect(approval.action).toBe('batch');
  const approved = await op2('POST', `/v1/operator-approvals/${approval.id}/approve`, {});
  expect(approved.status).toBe(200);
  const batchId = approved.body.result.id;
  const done = await waitFor(async () => {
    const b = await auditor('GET', `/v1/batch-operations/${batchId}`);
    return b.body.status === 'completed' ? b.body : undefined;
  }, 'the batch to complete');
  expect(done).toMatchObject({ action: 'pause', total: 6, progress: { done: 5, skipped: 1, failed: 0, remaining: 0 }, approvalId: approval.id, requestedBy: 'principal:op-1' });
  expect(done.items.find((i: any) => i.workflowId === 'ops-batch-0')).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/^workflow_paused/) });
  const history = (await auditor('GET', '/v1/workflows/ops-batch-3/history')).body.items;
  expect(history.find((r: any) => r.kind === 'workflow.paused')).toMatchObject({ actor: 'principal:op-1', reason: 'incident INC-42', data: { batchId, approvalId: approval.id } });
  expect((await otherTenant('GET', `/v1/batch-operations/${batchId}`)).status).toBe(404);
});

test('an approval nobody decides expires, and the expiry is recorded', async () => {
  await op1('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'ops-expire-1', input: { tickMs: 60_000 } });
  const asked = await op1('POST', '/v1/workflows/ops-expire-1/terminate', { reason: 'stale' });
  await query(app.db.dataSource, `UPDATE operator_approval SET expires_at = now() - interval '1 second' WHERE id = $1`, [asked.body.pendingApproval.id]);
  const late = await op2('POST', `/v1/operator-approvals/${asked.body.pendingApproval.id}/approve`, {});
  expect(late.status).toBe(409);
  expect(late.body.type).toMatch(/approval-expired$/);
  expect((await op1('GET', `/v1/operator-approvals/${asked.body.pendingApproval.id}`)).body.status).toBe('expired');
  const history = (await op1('GET', '/v1/workflows/ops-expire-1/history')).body.items;
  expect(history.map((r: any) => r.kind)).toContain('operator.approval.expired');
  expect((await op1('GET', '/v1/workflows/ops-expire-1')).body.status).toBe('waiting');
});

test('OpenAPI documents every new route', async () => {
  const doc = (await app.request('GET', '/docs-json')).body;
  for (const path of ['/v1/incidents', '/v1/incidents/{id}', '/v1/incidents/{id}/retry', '/v1/incidents/{id}/resolve', '/v1/workflows/{id}/pause', '/v1/workflows/{id}/resume', '/v1/workflows/{id}/terminate', '/v1/batch-operations', '/v1/batch-operations/{id}', '/v1/operator-approvals', '/v1/operator-approvals/{id}/approve', '/v1/operator-approvals/{id}/reject']) {
    expect(Object.keys(doc.paths)).toContain(path);
  }
});

test('careless and hostile requests are refused before anyone is asked to approve them', async () => {
  await op1('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'ops-care-1', businessKey: 'care-A', input: { tickMs: 60_000 } });
  // An empty filter value would select the whole tenant: refused, naming it.
  const empty = await op1('POST', '/v1/batch-operations', { action: 'terminate', filter: { businessKey: '' }, reason: 'x', dryRun: true });
  expect(empty.status).toBe(400);
  expect(empty.body.errors[0].field).toBe('filter.businessKey');
  // A query parameter is not read on an action: refused, not silently ignored.
  const query = await op1('POST', '/v1/batch-operations?dryRun=true', { action: 'pause', filter: { businessKey: 'care-A' }, reason: 'x' });
  expect(query.status).toBe(400);
  expect(query.body.errors[0].field).toBe('dryRun');
  expect((await op1('POST', '/v1/workflows/ops-care-1/pause?foo=bar', { reason: 'x' })).status).toBe(400);
  // Control characters and bidirectional overrides have no place in an audit trail's reason.
  expect((await op1('POST', '/v1/workflows/ops-care-1/pause', { reason: '\u202eevil\u0007' })).body.errors[0].field).toBe('reason');

  // Under dual control a terminate that cannot apply is 409 at once, and a second request for the same one too.
  await op1('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'ops-care-2', input: { tickMs: 0 } });
  await waitFor(async () => (await op1('GET', '/v1/workflows/ops-care-2')).body.state === 'ticked', 'ops-care-2 to tick');
  expect((await op1('POST', '/v1/workflows/ops-care-2/events', { type: 'note.added' })).body.status).toBe('completed');
  const ended = await op1('POST', '/v1/workflows/ops-care-2/terminate', { reason: 'too late' });
  expect(ended.status).toBe(409);
  expect(ended.body.type).toMatch(/workflow-terminal$/);
  const first = await op1('POST', '/v1/workflows/ops-care-1/terminate', { reason: 'once' });
  expect(first.status).toBe(202);
  const twice = await op2('POST', '/v1/workflows/ops-care-1/terminate', { reason: 'twice' });
  expect(twice.status).toBe(409);
  expect(twice.body.type).toMatch(/approval-pending$/);
  // `[]` is not "no body".
  expect((await op2('POST', `/v1/operator-approvals/${first.body.pendingApproval.id}/approve`, [])).status).toBe(400);
  expect((await op1('POST', `/v1/operator-approvals/${first.body.pendingApproval.id}/reject`, { reason: 'withdrawn' })).status).toBe(200);

  // What a batch approver approves is fixed when it is asked: a workflow started afterwards is not in it.
  const asked = await op1('POST', '/v1/batch-operations', { action: 'pause', filter: { businessKey: 'care-A' }, reason: 'hold care-A' });
  expect(asked.body.pendingApproval.target).toMatchObject({ total: 1, batchId: expect.any(String) });
  await op1('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'ops-care-3', businessKey: 'care-A', input: { tickMs: 60_000 } });
  const waiting = await op2('GET', `/v1/batch-operations/${asked.body.pendingApproval.target.batchId}`);
  expect(waiting.body).toMatchObject({ status: 'pending_approval', total: 1, items: [{ workflowId: 'ops-care-1', outcome: 'pending' }] });
  const approved = await op2('POST', `/v1/operator-approvals/${asked.body.pendingApproval.id}/approve`, { reason: 'ok' });
  expect(approved.body.result).toMatchObject({ id: waiting.body.id, approvedBy: 'principal:op-2' });
  await waitFor(async () => (await op1('GET', `/v1/batch-operations/${waiting.body.id}`)).body.status === 'completed', 'the batch to complete');
  expect((await op1('GET', '/v1/workflows/ops-care-1')).body.status).toBe('paused');
  expect((await op1('GET', '/v1/workflows/ops-care-3')).body.status).toBe('waiting');
  const item = (await auditor('GET', '/v1/workflows/ops-care-1/history')).body.items.find((r: any) => r.kind === 'workflow.paused');
  expect(item).toMatchObject({ actor: 'principal:op-1', data: { approvedBy: 'principal:op-2', approvalId: asked.body.pendingApproval.id } });

  // A paused workflow refuses an event no state of its machine takes, as it would when running.
  const unknown = await op1('POST', '/v1/workflows/ops-care-1/events', { type: 'no.such.event' });
  expect(unknown.status).toBe(409);
});

test('a reviewer sees that a workflow has incidents, not their errors or kept inputs', async () => {
  const incident = await openIncidentOn('ops-strict-rev');
  const asReviewer = (await reviewer('GET', '/v1/workflows/ops-strict-rev')).body.incidents;
  expect(asReviewer).toEqual([{ id: incident.id, kind: 'activity_exhausted', status: 'open', createdAt: incident.createdAt }]);
  expect((await auditor('GET', '/v1/workflows/ops-strict-rev')).body.incidents[0]).toHaveProperty('input');
  partner.down = false;
  await op1('POST', `/v1/incidents/${incident.id}/retry`, { reason: 'clean up' });
});
