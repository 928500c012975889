import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { referralV1, referralV2, referralV3, referralV4 } from '../support/migration-definitions';

// A referral waits for its underwriter (a task, an SLA timer) on v1; v2 changes what follows.
// Migrated where it stands, it keeps its task and timer and ends on v2's path; what cannot
// apply is refused and changes nothing.

let h: HttpHarness;
let ops: string;
let underwriter: string;

beforeAll(async () => {
  h = await startHttpApp('migrate', [referralV1, referralV2, referralV3, referralV4]);
  ops = await h.createKey({ id: 'mig-ops', roles: ['operator'] });
  underwriter = await h.createKey({ id: 'mig-uw', roles: ['reviewer'], groups: ['underwriters'] });
}, 60_000);
afterAll(() => h?.close());

async function referred(id: string) {
  const as = h.as(ops);
  expect((await as('POST', '/v1/workflows', { type: 'test-referral', version: 1, workflowId: id, input: {} })).status).toBe(201);
  expect((await as('POST', `/v1/workflows/${id}/events`, { type: 'check.referred' })).status).toBe(200);
  return waitFor(async () => (await h.as(underwriter)('GET', `/v1/tasks?workflow=${id}&status=open`)).body.items?.[0], `${id}'s task`);
}

test('a waiting referral migrated from v1 to v2 keeps its task and timer and ends on v2\'s path', async () => {
  const as = h.as(ops);
  const task = await referred('ref-1');
  const timersBefore = (await as('GET', '/v1/workflows/ref-1/outstanding')).body.timers;
  expect(timersBefore).toHaveLength(1);

  const dry = await as('POST', '/v1/workflows/ref-1/migrate', { toVersion: 2, reason: 'disbursement step', dryRun: true });
  expect(dry.status).toBe(200);
  expect(dry.body).toEqual({
    dryRun: true,
    plan: { workflowId: 'ref-1', fromVersion: 1, toVersion: 2, state: { from: 'underwriting', to: 'underwriting' }, carried: { activities: [], timers: [expect.stringContaining('underwritingSla')], tasks: ['Underwrite the referral'] }, move: null, contextPatch: null },
  });
  expect((await as('GET', '/v1/workflows/ref-1')).body.definitionVersion).toBe(1);

  const migrated = await as('POST', '/v1/workflows/ref-1/migrate', { toVersion: 2, reason: 'disbursement step', contextPatch: { escalated: false } });
  expect(migrated.status).toBe(200);
  expect(migrated.body).toMatchObject({ definitionVersion: 2, state: 'underwriting', status: 'waiting' });
  const record = (await as('GET', '/v1/workflows/ref-1/history')).body.items.find((r: any) => r.kind === 'workflow.migrated');
  expect(record).toMatchObject({ reason: 'disbursement step', actor: 'principal:mig-ops', data: { fromVersion: 1, toVersion: 2, stateMapping: null, contextPatch: { escalated: false } } });
  // The same task and the same timer, carried over.
  expect((await h.as(underwriter)('GET', '/v1/tasks?workflow=ref-1&status=open')).body.items.map((t: any) => t.id)).toEqual([task.id]);
  expect((await as('GET', '/v1/workflows/ref-1/outstanding')).body.timers.map((t: any) => t.id)).toEqual(timersBefore.map((t: any) => t.id));

  expect((await h.as(underwriter)('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve' })).status).toBe(200);
  const done = await waitFor(async () => {
    const w = (await as('GET', '/v1/workflows/ref-1')).body;
    return w.status === 'completed' && w;
  }, 'the migrated referral to complete');
  expect(done).toMatchObject({ definitionVersion: 2, state: 'approved' });
  const path = (await as('GET', '/v1/workflows/ref-1/history')).body.items.filter((r: any) => r.outcome === 'accepted').map((r: any) => r.stateAfter);
  expect(path).toContain('approved');
  // Its diagram is now v2's.
  const svg = await fetch(`${h.url}/v1/workflows/ref-1/diagram?format=svg`, { headers: { authorization: `Bearer ${ops}` } });
  expect(await svg.text()).toMatch(/disbursing/); // v2's chart: v1 has no such state
});

test('a migration that cannot apply is refused and changes nothing: other work, a missing state, a bad mapping, the same version', async () => {
  const as = h.as(ops);
  await referred('ref-2');
  const before = (await as('GET', '/v1/workflows/ref-2/history')).body.items.length;
  const other = await as('POST', '/v1/workflows/ref-2/migrate', { toVersion: 3, reason: 'x' });
  expect(other.status).toBe(409);
  expect(other.body).toMatchObject({ type: expect.stringMatching(/migration-refused$/), detail: expect.stringContaining('state underwriting does different work in v3') });
  const gone = await as('POST', '/v1/workflows/ref-2/migrate', { toVersion: 4, reason: 'x', dryRun: true });
  expect(gone.status).toBe(409);
  expect(gone.body.detail).toContain('test-referral@4 has no state underwriting, where it stands');
  const mapping = await as('POST', '/v1/workflows/ref-2/migrate', { toVersion: 2, stateMapping: { underwriting: 'nowhere' }, reason: 'x' });
  expect(mapping.status).toBe(400);
  expect(mapping.body.errors).toEqual([{ field: 'stateMapping.underwriting', message: expect.stringContaining('has no state nowhere') }]);
  expect((await as('POST', '/v1/workflows/ref-2/migrate', { toVersion: 1, reason: 'x' })).status).toBe(409);
  expect((await as('POST', '/v1/workflows/ref-2/migrate', { toVersion: 9, reason: 'x' })).status).toBe(404);
  expect((await as('POST', '/v1/workflows/ref-2/migrate', { toVersion: 2 })).body.errors[0].field).toBe('reason');
  const after = await as('GET', '/v1/workflows/ref-2');
  expect(after.body).toMatchObject({ definitionVersion: 1, state: 'underwriting' });
  expect((await as('GET', '/v1/workflows/ref-2/history')).body.items.length).toBe(before);
});

test('a state mapping moves the migrated instance on inside the target version', async () => {
  const as = h.as(ops);
  await referred('ref-3');
  const dry = await as('POST', '/v1/workflows/ref-3/migrate', { toVersion: 2, stateMapping: { underwriting: 'disbursing' }, reason: 'approved by phone', dryRun: true });
  expect(dry.body.plan).toMatchObject({ state: { from: 'underwriting', to: 'approved' }, move: { toState: 'disbursing', actions: expect.arrayContaining([expect.stringMatching(/^cancel timer .*underwritingSla/)]) } });
  const migrated = await as('POST', '/v1/workflows/ref-3/migrate', { toVersion: 2, stateMapping: { underwriting: 'disbursing' }, reason: 'approved by phone' });
  expect(migrated.status).toBe(200);
  expect(migrated.body).toMatchObject({ definitionVersion: 2, status: 'completed', state: 'approved' });
  // Its task closed with the state left, its timer cancelled.
  expect((await h.as(underwriter)('GET', '/v1/tasks?workflow=ref-3&status=open')).body.items).toEqual([]);
  expect((await as('GET', '/v1/workflows/ref-3/outstanding')).body.timers).toEqual([]);
  const kinds = (await as('GET', '/v1/workflows/ref-3/history')).body.items.map((r: any) => r.kind);
  expect(kinds).toEqual(expect.arrayContaining(['workflow.migrated', 'workflow.moved', 'timer.cancelled', 'workflow.completed']));
});

test('a batch migrates by query: the instances where the switch applies migrate, the others are skipped with the reason', async () => {
  const as = h.as(ops);
  await referred('ref-b1');
  expect((await as('POST', '/v1/workflows', { type: 'test-referral', version: 1, workflowId: 'ref-b2', input: {} })).status).toBe(201); // still checking
  const missing = await as('POST', '/v1/batch-operations', { action: 'migrate', filter: { type: 'test-referral' }, reason: 'x' });
  expect(missing.status).toBe(400);
  expect(missing.body.errors[0].field).toBe('migration');
  const batch = await as('POST', '/v1/batch-operations', { action: 'migrate', filter: { type: 'test-referral', status: 'waiting' }, migration: { toVersion: 4 }, reason: 'rename underwriting' });
  expect(batch.status).toBe(202);
  expect(batch.body.migration).toEqual({ toVersion: 4 });
  const done = await waitFor(async () => {
    const b = (await as('GET', `/v1/batch-operations/${batch.body.id}`)).body;
    return b.status === 'completed' && b;
  }, 'the batch to complete');
  const items = Object.fromEntries(done.items.map((i: any) => [i.workflowId, i]));
  // v4 renamed underwriting: a waiting referral there is skipped, one still checking migrates.
  expect(items['ref-b1']).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('migration_refused: test-referral@4 has no state underwriting') });
  expect(items['ref-b2']).toMatchObject({ outcome: 'done' });
  expect((await as('GET', '/v1/workflows/ref-b2')).body.definitionVersion).toBe(4);
  expect((await as('GET', '/v1/workflows/ref-b1')).body.definitionVersion).toBe(1);
});
