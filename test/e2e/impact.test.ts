import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { scoredV1, scoredV2, scoredV3, scoredV4 } from '../support/scored-definitions';

// Real v1 instances, recorded by the engine, replayed through candidate versions: one that adds
// a state (identical), one that changes a guard (diverges at the score's record), one that
// renames the state an instance waits in (incompatible).

let h: HttpHarness;
let ops: string;
const ROOT = path.join(__dirname, '../..');

beforeAll(async () => {
  h = await startHttpApp('impact', [scoredV1, scoredV2, scoredV3, scoredV4]);
  ops = await h.createKey({ id: 'impact-ops', roles: ['operator'] });
  const other = await h.createKey({ id: 'impact-other', roles: ['operator'], tenant: 'elsewhere' });
  const as = h.as(ops);
  for (const [id, key] of [['fresh', ops], ['scored-80', ops], ['theirs', other]] as const) {
    expect((await h.as(key)('POST', '/v1/workflows', { type: 'test-scored', version: 1, workflowId: id, input: {} })).status).toBe(201);
  }
  expect((await as('POST', '/v1/workflows/scored-80/events', { type: 'check.done', score: 80 })).status).toBe(200);
  await waitFor(async () => (await as('GET', '/v1/workflows/scored-80')).body.state === 'reviewing', 'the scored instance to wait for review');
}, 60_000);
afterAll(() => h?.close());

const impact = (candidateVersion: number) => h.as(ops)('POST', '/v1/definitions/test-scored/impact', { candidateVersion });
const byId = (report: any) => Object.fromEntries(report.items.map((i: any) => [i.workflowId, i]));

test('a version that adds a state replays every live instance identically', async () => {
  const res = await impact(2);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ type: 'test-scored', candidate: { version: 2 }, fromVersions: [1], truncated: false, comparedActions: true });
  expect(res.body.summary).toMatchObject({ instances: 2, identical: 2, diverges: 0, incompatible: 0 });
  // Only this tenant's instances: `theirs` is another tenant's.
  expect(Object.keys(byId(res.body)).sort()).toEqual(['fresh', 'scored-80']);
  expect(byId(res.body)['scored-80']).toMatchObject({ result: 'identical', replayed: 2 });
});

test('a version that changes a guard diverges at the record the guard decides, old against new state', async () => {
  const res = await impact(3);
  const items = byId(res.body);
  expect(items.fresh).toMatchObject({ result: 'identical' });
  const history = (await h.as(ops)('GET', '/v1/workflows/scored-80/history')).body.items;
  const scoreRecord = history.find((r: any) => r.event?.type === 'check.done');
  expect(items['scored-80']).toMatchObject({
    result: 'diverges',
    divergence: { seq: scoreRecord.seq, kind: 'event.received', event: 'check.done', recorded: { state: 'reviewing' }, candidate: { state: 'rejected' } },
  });
  expect(res.body.summary.byState).toEqual(expect.arrayContaining([{ state: 'reviewing', identical: 0, diverges: 1, incompatible: 0 }, { state: 'checking', identical: 1, diverges: 0, incompatible: 0 }]));
});

test('a version without the state an instance waits in cannot restore it: incompatible', async () => {
  const res = await impact(4);
  const items = byId(res.body);
  expect(items['scored-80']).toMatchObject({ result: 'incompatible', reason: expect.stringContaining('does not restore in v4') });
  expect(items.fresh.result).toBe('identical');
  expect(res.body.summary).toMatchObject({ identical: 1, incompatible: 1 });
});

test("an operator's move in the history is replayed as the engine took it", async () => {
  const as = h.as(ops);
  expect((await as('POST', '/v1/workflows', { type: 'test-scored', version: 1, workflowId: 'moved-back', input: {} })).status).toBe(201);
  expect((await as('POST', '/v1/workflows/moved-back/events', { type: 'check.done', score: 70 })).status).toBe(200);
  expect((await as('POST', '/v1/workflows/moved-back/move', { toState: 'checking', reason: 'score again' })).status).toBe(200);
  const item = byId((await impact(2)).body)['moved-back'];
  expect(item).toMatchObject({ result: 'identical', replayed: 3, state: 'checking' });
  // The guard change shows at the score, before the move: the candidate would have rejected it.
  expect(byId((await impact(3)).body)['moved-back']).toMatchObject({ result: 'diverges', divergence: { event: 'check.done', candidate: { state: 'rejected' } } });
});

test('refusals: an unknown candidate is 404, a bad body names the field, a reviewer may not ask', async () => {
  expect((await impact(9)).status).toBe(404);
  const bad = await h.as(ops)('POST', '/v1/definitions/test-scored/impact', { candidateVersion: 'two' });
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].field).toBe('candidateVersion');
  const reviewer = await h.createKey({ id: 'impact-rev', roles: ['reviewer'] });
  expect((await h.as(reviewer)('POST', '/v1/definitions/test-scored/impact', { candidateVersion: 2 })).status).toBe(403);
});

test('npm run impact gates a CI step: the candidate module replayed over every live instance, exit 1 on a divergence unless allowed', () => {
  const run = (...extra: string[]) =>
    spawnSync(process.execPath, ['-r', '@swc-node/register', 'scripts/impact.ts', 'test-scored', 'test/support/impact-candidate.ts', ...extra], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), DATABASE_URL: h.db.url },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const gate = run();
  expect(gate.stderr).toBe('');
  expect(gate.status).toBe(1);
  expect(gate.stdout).toContain('test-scored v3 against 4 live instances of v1 (every tenant): 2 identical, 2 diverges, 0 incompatible');
  expect(gate.stdout).toMatch(/scored-80\s+v1\s+reviewing\s+diverges at #\d+ event\.received check\.done: reviewing → rejected/);
  expect(run('--allow-divergence').status).toBe(0);
  const json = JSON.parse(run('--json', '--allow-divergence').stdout);
  expect(json.summary).toMatchObject({ instances: 4, identical: 2, diverges: 2 });
  const usage = spawnSync(process.execPath, ['-r', '@swc-node/register', 'scripts/impact.ts'], { cwd: ROOT, env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') }, encoding: 'utf8' });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toContain('usage: npm run impact -- <type> <module>');
}, 120_000);
