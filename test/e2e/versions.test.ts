import { setup } from 'xstate';
import { z } from 'zod';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp } from '../../src/bootstrap/create-app';
import { loadConfig } from '../../src/config/config';
import { defineWorkflow } from '../../src/engine';
import { REDIS_URL, waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';

// Two versions of one process side by side: the version list with its counts, deprecation and
// retirement (a platform admin's, with a reason), and a version that leaves the deployment
// keeping its diagram, report and history.

function versioned(version: number, extraState: boolean) {
  const machine = setup({ types: { events: {} as { type: 'review.done' } } }).createMachine({
    id: 'versioned',
    initial: 'reviewing',
    states: {
      reviewing: { on: { 'review.done': extraState ? 'archiving' : 'done' } },
      ...(extraState ? { archiving: { always: 'done' } } : {}),
      done: { type: 'final' },
    },
  });
  return defineWorkflow({ type: 'test-versioned', version, machine, input: z.object({}), events: { 'review.done': z.object({}) }, exampleInput: {} });
}
const v1 = versioned(1, false);
const v2 = versioned(2, true);

let h: HttpHarness;
let tenantAdmin: string;
let ops: string;
let second: NestExpressApplication | undefined;

beforeAll(async () => {
  h = await startHttpApp('versions', [v1, v2]);
  tenantAdmin = await h.createKey({ id: 'acme-admin', roles: ['admin'], tenant: 'acme' });
  ops = await h.createKey({ id: 'v-ops', roles: ['operator'] });
}, 60_000);
afterAll(async () => {
  await second?.close();
  await h?.close();
});

const start = (body: Record<string, unknown>) => h.as(ops)('POST', '/v1/workflows', { type: 'test-versioned', input: {}, ...body });

test('the versions of a type, with their lifecycle, hash and instances by status and state; a start takes the newest active one', async () => {
  const started = await start({ workflowId: 'ver-a' });
  expect(started.status).toBe(201);
  expect(started.body.definitionVersion).toBe(2);
  expect((await start({ workflowId: 'ver-b', version: 1 })).body.definitionVersion).toBe(1);
  const list = await h.as(ops)('GET', '/v1/definitions/test-versioned');
  expect(list.status).toBe(200);
  expect(list.body.versions.map((v: any) => [v.version, v.lifecycle, v.registered, v.startDefault])).toEqual([
    [1, 'active', true, false],
    [2, 'active', true, true],
  ]);
  expect(list.body.versions[0]).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), changedSinceDeployed: false, instances: { total: 1, live: 1, byStatus: { waiting: 1 }, byState: [{ state: 'reviewing', status: 'waiting', count: 1 }] } });
  expect((await h.as(ops)('GET', '/v1/definitions/no-such-type')).status).toBe(404);
  // Another tenant sees the same versions and none of these instances.
  const theirs = await h.as(tenantAdmin)('GET', '/v1/definitions/test-versioned');
  expect(theirs.body.versions.map((v: any) => v.instances.total)).toEqual([0, 0]);
});

test('a deprecated version takes no new starts (the newest active one does) while its instances run on; only a platform admin changes a lifecycle', async () => {
  const refused = await h.as(tenantAdmin)('POST', '/v1/definitions/test-versioned/2/deprecate', { reason: 'bad guard' });
  expect(refused.status).toBe(403);
  expect((await h.request('POST', '/v1/definitions/test-versioned/2/deprecate', {})).body.errors).toEqual([{ field: 'reason', message: expect.any(String) }]);
  const deprecated = await h.request('POST', '/v1/definitions/test-versioned/2/deprecate', { reason: 'the archiving step is wrong' });
  expect(deprecated.status).toBe(200);
  expect(deprecated.body).toMatchObject({ version: 2, lifecycle: 'deprecated', lifecycleReason: 'the archiving step is wrong', lifecycleBy: 'principal:admin', startDefault: false });
  const pinned = await start({ workflowId: 'ver-c', version: 2 });
  expect(pinned.status).toBe(409);
  expect(pinned.body).toMatchObject({ type: expect.stringMatching(/definition-not-startable$/), lifecycle: 'deprecated', startableVersion: 1 });
  expect(pinned.body.detail).toBe('test-versioned@2 is deprecated (the archiving step is wrong): new starts are refused; start version 1, or leave version out');
  expect((await start({ workflowId: 'ver-d' })).body.definitionVersion).toBe(1);
  // The v2 instance started before runs on to its end.
  expect((await h.as(ops)('POST', '/v1/workflows/ver-a/events', { type: 'review.done' })).status).toBe(200);
  await waitFor(async () => (await h.as(ops)('GET', '/v1/workflows/ver-a')).body.status === 'completed', 'the deprecated version\'s instance to complete');
  expect((await h.request('POST', '/v1/definitions/test-versioned/2/activate', { reason: 'fixed elsewhere' })).body.lifecycle).toBe('active');
  expect((await h.request('POST', '/v1/definitions/test-versioned/2/promote', { reason: 'x' })).status).toBe(404);
});

test('a version with live instances cannot be retired; without, it can, and then takes no starts', async () => {
  const inUse = await h.request('POST', '/v1/definitions/test-versioned/1/retire', { reason: 'replaced by v2' });
  expect(inUse.status).toBe(409);
  expect(inUse.body).toMatchObject({ type: expect.stringMatching(/definition-in-use$/), live: 2 });
  for (const id of ['ver-b', 'ver-d']) expect((await h.as(ops)('POST', `/v1/workflows/${id}/events`, { type: 'review.done' })).status).toBe(200);
  await waitFor(async () => (await h.as(ops)('GET', '/v1/definitions/test-versioned')).body.versions[0].instances.live === 0, 'v1 to have no live instance');
  const retired = await h.request('POST', '/v1/definitions/test-versioned/1/retire', { reason: 'replaced by v2' });
  expect(retired.status).toBe(200);
  expect(retired.body).toMatchObject({ lifecycle: 'retired', instances: { total: 2, live: 0, byStatus: { completed: 2 } } });
  expect((await start({ workflowId: 'ver-e', version: 1 })).body.lifecycle).toBe('retired');
});

test('a version removed from the deployment stays listed with what it was: diagram, report and the history of its ended instances', async () => {
  // The next deployment registers v2 only, on the same database.
  const config = loadConfig({ DATABASE_URL: h.db.url, REDIS_URL, QUEUE_PREFIX: h.prefix, PORT: '0', SANDBOX: 'false', STATERA_BOOTSTRAP_ADMIN_KEY: h.adminKey, RATE_LIMIT: 'false', ROLE: 'api' });
  second = await createHttpApp(config, [v2], ['error']);
  await second.listen(0, '127.0.0.1');
  const url = (await second.getUrl()).replace('[::1]', '127.0.0.1');
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ops}` } });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const list = JSON.parse((await get('/v1/definitions/test-versioned')).text);
  expect(list.versions.map((v: any) => [v.version, v.registered, v.lifecycle])).toEqual([
    [1, false, 'retired'],
    [2, true, 'active'],
  ]);
  const diagram = await get('/v1/definitions/test-versioned/1/diagram?format=svg');
  expect(diagram.status).toBe(200);
  expect(diagram.text).toContain('reviewing');
  expect(diagram.text).not.toContain('archiving');
  const instance = await get('/v1/workflows/ver-b/diagram?format=svg');
  expect(instance.status).toBe(200);
  expect(instance.text).toMatch(/class="[^"]*state final[^"]*current/);
  expect((await get('/v1/workflows/ver-b/history')).status).toBe(200);
  const report = await get('/v1/definitions/test-versioned/1/report');
  expect(report.status).toBe(200);
  expect(report.text).toContain('no longer: described from what was recorded when it was');
  expect(report.text).toContain(list.versions[0].hash);
  const v2Report = await get('/v1/definitions/test-versioned/2/report');
  expect(v2Report.text).toContain('Compared with version 1');
  expect(v2Report.text).toContain('States added');
});
