import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, testPrefix, waitFor, type TestDatabase } from '../support/env';
import { freePort, stopProcess } from '../support/processes';

// A new process written the way the README says, in a folder outside this repository: made
// from the template with `npm run new-process`, linked with `npm install`, its own tests and
// type check run, then loaded by the built application through EXTRA_DEFINITIONS as a
// TypeScript file and run through the REST API. The folder's jest and TypeScript are this
// repository's copies (the test installs only what `npm install --omit=dev` would).

const ROOT = path.join(__dirname, '../..');
const TYPE = 'invoice-collection';
let work: string;
let folder: string;
let db: TestDatabase;
let prefix: string;
const children: ChildProcess[] = [];

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
};

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'statera-outside-'));
  folder = path.join(work, TYPE);
  db = await createTestDatabase('outside');
  prefix = testPrefix('outside');
}, 60_000);

afterAll(async () => {
  for (const child of children) await stopProcess(child);
  await db?.drop();
  if (prefix) await deleteRedisKeys(prefix);
  if (work) rmSync(work, { recursive: true, force: true });
});

function startApp(extra: string, port: number, sandboxPort: number): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let printed = '';
  // As `npm start` runs it (after its build), from a folder of its own so .statera/dev-keys.json lands there.
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd: work,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      SANDBOX_PORT: String(sandboxPort),
      METRICS_PORT: '0',
      EXTRA_DEFINITIONS: extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => printed, exited };
}

test('a process made from the template outside the repository passes its tests, type-checks, loads as TypeScript and runs', async () => {
  const made = run('npm', ['run', '--silent', 'new-process', '--', TYPE, folder], ROOT);
  expect(made).toMatchObject({ code: 0 });
  expect(made.out).toContain(`wrote 9 files to ${folder}`);

  const installed = run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], folder);
  expect(installed).toMatchObject({ code: 0 });
  expect(readFileSync(path.join(folder, 'node_modules/statera/package.json'), 'utf8')).toContain('"name": "statera"');

  const typecheck = run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.', '--typeRoots', path.join(ROOT, 'node_modules/@types')], folder);
  expect(typecheck).toEqual({ code: 0, out: '' });

  const jestConfig = path.join(work, 'jest.config.json');
  writeFileSync(jestConfig, JSON.stringify({ testEnvironment: 'node', testMatch: ['<rootDir>/*.test.ts'], transform: { '^.+\\.ts$': [path.join(ROOT, 'node_modules/@swc/jest')] } }));
  const tests = run(process.execPath, [path.join(ROOT, 'node_modules/jest/bin/jest.js'), '--rootDir', folder, '--config', jestConfig], folder);
  expect(tests.out).toMatch(/Tests:\s+5 passed, 5 total/);
  expect(tests.code).toBe(0);

  const port = await freePort();
  const app = startApp(path.join(folder, 'index.ts'), port, await freePort());
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok, 'the application to serve', 60_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}\n${app.output()}`);
  });
  // The README's way to a key: the development operator's, from .statera/dev-keys.json.
  const keys = JSON.parse(readFileSync(path.join(work, '.statera/dev-keys.json'), 'utf8')) as { principals: { id: string; key: string }[] };
  const auth = { authorization: `Bearer ${keys.principals.find((p) => p.id === 'ops-1')!.key}`, 'content-type': 'application/json' };
  const get = async (p: string): Promise<any> => (await fetch(`${base}${p}`, { headers: auth })).json();

  const definition = await get(`/v1/definitions/${TYPE}/1`);
  expect(definition).toMatchObject({ type: TYPE, version: 1 });
  const started = await fetch(`${base}/v1/workflows`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ type: TYPE, workflowId: 'INV-1', input: definition.exampleInput }),
  });
  expect({ status: started.status, body: await started.json() }).toMatchObject({ status: 201 });
  await waitFor(async () => (await get('/v1/workflows/INV-1')).state === 'awaitingConfirmation', 'the check to pass', 30_000, 100);
  const signalled = await fetch(`${base}/v1/workflows/INV-1/events`, { method: 'POST', headers: auth, body: JSON.stringify({ type: `${TYPE}.confirmed`, by: 'ops-1' }) });
  expect(signalled.status).toBeLessThan(300);
  const done = await waitFor(async () => {
    const w = await get('/v1/workflows/INV-1');
    return w.status === 'completed' && w;
  }, 'the workflow to complete', 30_000, 100);
  expect(done).toMatchObject({ state: 'completed', outcome: 'success', context: { confirmedBy: 'ops-1' } });
  // The effect ran in the application, once, with its stable key.
  await waitFor(async () => app.output().includes('"msg":"customer notified"'), 'the effect to run', 15_000, 100);
  expect(app.output().match(/"msg":"customer notified"/g)).toHaveLength(1);
}, 240_000);

test('a process module that cannot load stops the start with one line saying what to do', async () => {
  const broken = path.join(work, 'broken.ts');
  writeFileSync(broken, "import { thing } from 'left-pad-not-installed';\nexport const definitions = [thing];\n");
  const app = startApp(broken, await freePort(), await freePort());
  expect(await app.exited).toBe(1);
  expect(app.output().trim()).toBe(
    `statera: EXTRA_DEFINITIONS=${broken}: it imports 'left-pad-not-installed', which is not installed where the module is: run npm install left-pad-not-installed next to it`,
  );
}, 60_000);
