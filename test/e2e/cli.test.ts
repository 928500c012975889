import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { incidentDefinitions, partner } from '../support/incident-definitions';
import { reviewed } from '../support/test-definitions';

/** The `statera` CLI run the way a user runs it: a process of its own, its settings from the environment. */
const ROOT = path.join(__dirname, '..', '..');

let app: HttpHarness;
let operatorKey: string;
let reviewerKey: string;
let home: string;

beforeAll(async () => {
  app = await startHttpApp('cli', [reviewed, ...incidentDefinitions]);
  operatorKey = await app.createKey({ id: 'ops-cli', roles: ['operator'] });
  reviewerKey = await app.createKey({ id: 'uw-cli', roles: ['reviewer'], groups: ['underwriters'] });
  // No config file of whoever runs the tests is read: HOME is a folder of this test's own.
  home = mkdtempSync(path.join(tmpdir(), 'statera-cli-'));
}, 60_000);

afterAll(async () => {
  await app?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: home, STATERA_URL: app.url, STATERA_API_KEY: operatorKey, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, output: () => stdout };
}

const statera = (args: string[], env?: Record<string, string | undefined>) => start(args, env).done;

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const transferInput = (id: string) => ({ transferId: id, amount: { value: 1500, currency: 'EUR' }, from: 'A', to: 'B' });

/** Exit 1 and one line on standard error; nothing on standard output, no stack trace. */
function expectOneLineError(run: Run, pattern: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
}

test('help: the commands, and one command in detail', async () => {
  const help = await statera(['--help']);
  expect(help.code).toBe(0);
  for (const command of ['start', 'signal', 'get', 'list', 'history', 'watch', 'tasks', 'complete', 'incidents', 'retry']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  const watchHelp = await statera(['watch', '--help']);
  expect(watchHelp.code).toBe(0);
  expect(watchHelp.stdout).toMatch(/^usage: statera watch <id>/);
});

test('start from a file, watch to the end while a signal approves it, then get, list, history', async () => {
  const inputFile = path.join(home, 'input.json');
  writeFileSync(inputFile, JSON.stringify(transferInput('T-cli-1')));
  const started = await statera(['start', 'demo-transfer', '--id', 'cli-1', '--input', `@${inputFile}`, '--business-key', 'order-1']);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  expect(started.stdout).toMatch(/^started cli-1\n/);
  expect(started.stdout).toMatch(/^type\s+demo-transfer v1$/m);

  const watching = start(['watch', 'cli-1', '--interval', '200']);
  await waitFor(async () => (await app.request('GET', '/v1/workflows/cli-1')).body.status === 'waiting', 'cli-1 to wait for its approval');
  // The watch has shown the reservation before anyone approves.
  await waitFor(async () => /activity\.completed\s+reserving → awaitingApproval/.test(watching.output()), 'the watch to show the reservation');
  const signalled = await statera(['signal', 'cli-1', 'transfer.approved', '--data', '{"approver":"ops-1"}']);
  expect(signalled.code).toBe(0);
  expect(signalled.stdout).toMatch(/^transfer\.approved → cli-1: completed in completed$/m);

  const watched = await watching.done;
  expect(watched.code).toBe(0);
  const lines = watched.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^\+\d+\.\ds\s+#1 {2}workflow\.started {2}→ reserving/);
  expect(watched.stdout).toMatch(/^\+\d+\.\ds\s+#\d+ {2}event\.received {2}awaitingApproval → completed {2}\(transfer\.approved by principal:ops-cli\)$/m);
  expect(lines[lines.length - 1]).toMatch(/^cli-1 ended completed, outcome success, in completed after \d+\.\ds$/);

  const got = await statera(['get', 'cli-1']);
  expect(got.code).toBe(0);
  expect(got.stdout).toMatch(/^status\s+completed$/m);
  expect(got.stdout).toMatch(/^business key\s+order-1$/m);

  const listed = await statera(['list', '--type', 'demo-transfer', '--status', 'completed']);
  expect(listed.code).toBe(0);
  const [header, row] = listed.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^ID\s+TYPE\s+VERSION\s+STATUS\s+OUTCOME\s+STATE\s+BUSINESS KEY\s+CREATED$/);
  expect(row).toMatch(/^cli-1\s+demo-transfer\s+1\s+completed\s+success\s+completed\s+order-1\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // Columns line up: each starts where its header does.
  expect(row.indexOf('demo-transfer')).toBe(header.indexOf('TYPE'));
  expect(row.indexOf('order-1')).toBe(header.indexOf('BUSINESS KEY'));

  const asJson = await statera(['list', '--business-key', 'order-1', '--json']);
  expect(asJson.code).toBe(0);
  expect(JSON.parse(asJson.stdout)).toMatchObject({ items: [{ id: 'cli-1', status: 'completed', businessKey: 'order-1' }], nextCursor: null });

  const history = await statera(['history', 'cli-1']);
  expect(history.code).toBe(0);
  expect(history.stdout).toMatch(/^SEQ\s+RECORDED\s+KIND\s+ACTOR/);
  expect(history.stdout).toMatch(/^1\s+\S+\s+workflow\.started\s+principal:ops-cli/m);
  expect(history.stdout).toMatch(/\sworkflow\.completed\s/);
}, 60_000);

test('tasks and complete: the inbox of a reviewer, a decision with its form data', async () => {
  await app.request('POST', '/v1/workflows', { type: 'test-reviewed', workflowId: 'cli-review', input: {} });
  const reviewer = { STATERA_API_KEY: reviewerKey };
  const inbox = await waitFor(async () => {
    const run = await statera(['tasks', '--workflow', 'cli-review'], reviewer);
    return run.stdout.includes('Review the application') ? run : undefined;
  }, 'the review task in the inbox');
  expect(inbox.stdout).toMatch(/^ID\s+WORKFLOW\s+TITLE\s+STATUS\s+CLAIMED BY\s+DECISIONS/);
  expect(inbox.stdout).toMatch(/\scli-review\s+Review the application\s+open\s+-\s+approve\|decline\s/);
  const [task] = JSON.parse((await statera(['tasks', '--workflow', 'cli-review', '--json'], reviewer)).stdout).items;

  // A form that does not validate: the API's field error, on one line.
  expectOneLineError(await statera(['complete', task.id, '--decision', 'approve', '--data', '{"note":""}'], reviewer), /^error: 400 .*\(data\.note: /);
  const completed = await statera(['complete', task.id, '--decision', 'approve', '--data', '{"note":"income verified"}'], reviewer);
  expect(completed.code).toBe(0);
  expect(completed.stdout).toMatch(new RegExp(`^completed task ${task.id} \\(Review the application\\) with approve for workflow cli-review$`, 'm'));
  expectOneLineError(await statera(['complete', task.id, '--decision', 'approve'], reviewer), /^error: 409 The task is no longer open/);

  // --mine: only what this principal has claimed.
  const second = await waitFor(async () => (await app.as(reviewerKey)('GET', '/v1/tasks?workflow=cli-review&status=open')).body.items[0], 'the second approval');
  expect((await statera(['tasks', '--mine'], reviewer)).stdout.trim()).toBe('no tasks');
  expect((await app.as(reviewerKey)('POST', `/v1/tasks/${second.id}/claim`)).status).toBe(200);
  const mine = await statera(['tasks', '--mine'], reviewer);
  expect(mine.stdout).toMatch(new RegExp(`^${second.id}\\s+cli-review\\s+Second approval\\s+open\\s+uw-cli\\s`, 'm'));
}, 60_000);

test('incidents and retry: an exhausted activity retried after the partner recovers; a watch of a terminated workflow exits 1', async () => {
  partner.down = true;
  await app.request('POST', '/v1/workflows', { type: 'incident-strict', workflowId: 'cli-incident', input: {} });
  const incidentId = await waitFor(async () => (await app.request('GET', '/v1/workflows/cli-incident')).body.incidents?.[0]?.id, 'an incident');
  const listed = await statera(['incidents', '--status', 'open']);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(new RegExp(`^${incidentId}\\s+cli-incident\\s+incident-strict\\s+activity_exhausted\\s+open\\s+0\\s+\\S+\\s+.*partner answered 503$`, 'm'));

  expect((await statera(['retry', incidentId])).code).toBe(2);
  partner.down = false;
  const retried = await statera(['retry', incidentId, '--reason', 'partner is back']);
  expect(retried.code).toBe(0);
  expect(retried.stdout).toMatch(new RegExp(`^retried incident ${incidentId}: workflow cli-incident is \\w+`));
  expect((await statera(['watch', 'cli-incident', '--interval', '100'])).code).toBe(0);
  expect((await statera(['incidents', '--status', 'resolved', '--json'])).stdout).toContain(incidentId);

  await app.request('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'cli-ended', input: { tickMs: 60_000 } });
  expect((await app.request('POST', '/v1/workflows/cli-ended/terminate', { reason: 'test' })).status).toBe(200);
  const watched = await statera(['watch', 'cli-ended']);
  expect(watched.code).toBe(1);
  expect(watched.stdout.trimEnd().split('\n').pop()).toMatch(/^cli-ended ended terminated, outcome failure, in waiting after /);
}, 60_000);

test('errors: the API refusal as one line (exit 1), a usage error with the usage (exit 2), settings from a config file', async () => {
  expectOneLineError(await statera(['start', 'no-such-process']), /^error: 404 No such workflow definition: no definition no-such-process/);
  expectOneLineError(await statera(['start', 'demo-transfer', '--input', '{"transferId":"T","amount":{"value":-1,"currency":"EUR"},"from":"A","to":"B"}']), /^error: 400 The request is not valid: .*\(input\.amount\.value: /);
  expectOneLineError(await statera(['get', 'cli-1'], { STATERA_API_KEY: 'stk_not-a-key' }), /^error: 401 /);
  const closed = `http://127.0.0.1:${await closedPort()}`;
  expectOneLineError(await statera(['get', 'cli-1'], { STATERA_URL: closed }), new RegExp(`^error: cannot reach the API at ${closed}: ECONNREFUSED$`));

  const asJson = await statera(['get', 'no-such-workflow', '--json']);
  expect(asJson.code).toBe(1);
  expect(JSON.parse(asJson.stdout)).toMatchObject({ status: 404, type: expect.stringMatching(/workflow-not-found$/) });

  const missing = await statera(['signal', 'cli-1']);
  expect(missing.code).toBe(2);
  expect(missing.stdout).toBe('');
  expect(missing.stderr).toMatch(/^error: missing <event-type>\n\nusage: statera signal <id> <event-type>/);
  for (const args of [['list', '--limit', 'many'], ['list', '--frobnicate'], ['complete', 'some-task'], ['no-such-command'], []]) {
    const run = await statera(args);
    expect({ args, code: run.code }).toEqual({ args, code: 2 });
    expect(run.stderr).toMatch(/usage: statera/);
  }
  const noKey = await statera(['get', 'cli-1'], { STATERA_API_KEY: undefined });
  expect(noKey.code).toBe(2);
  expect(noKey.stderr).toMatch(/^error: no API key: pass --key, set STATERA_API_KEY, or put/);

  const config = path.join(home, 'statera.json');
  writeFileSync(config, JSON.stringify({ url: app.url, apiKey: operatorKey }));
  const fromFile = await statera(['get', 'cli-1', '--json'], { STATERA_URL: undefined, STATERA_API_KEY: undefined, STATERA_CONFIG: config });
  expect(fromFile.code).toBe(0);
  expect(JSON.parse(fromFile.stdout)).toMatchObject({ id: 'cli-1' });
  // The flags override the environment and the file.
  expectOneLineError(await statera(['get', 'cli-1', '--key', 'stk_wrong'], { STATERA_CONFIG: config }), /^error: 401 /);
}, 60_000);
