import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, testPrefix, waitFor, type TestDatabase } from '../support/env';
import { freePort, stopProcess } from '../support/processes';

// The README's quick start, run as printed: the server as `npm start` runs it (here from the
// sources, which `npm start` builds), on a port of its own, from a folder of its own where it
// writes .statera/dev-keys.json; then the README's example block, word for word, in bash with
// STATERA_URL pointing at that port — the one setting the README says to change.

const ROOT = path.join(__dirname, '../..');
let work: string;
let db: TestDatabase;
let prefix: string;
let server: ChildProcess | undefined;

/** The fenced sh block of the Quick start section that starts with `API=`. */
function quickStartBlock(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.startsWith('API='));
  if (!block) throw new Error('the README has no Quick start block starting with API=');
  return block;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'statera-quick-start-'));
  db = await createTestDatabase('quick_start');
  prefix = testPrefix('quick-start');
}, 60_000);

afterAll(async () => {
  if (server) await stopProcess(server);
  await db?.drop();
  if (prefix) await deleteRedisKeys(prefix);
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the README's quick start runs as printed on another port and database", async () => {
  const port = await freePort();
  let printed = '';
  server = spawn(process.execPath, ['-r', path.join(ROOT, 'node_modules/@swc-node/register/index.js'), path.join(ROOT, 'src/main.ts')], {
    cwd: work,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
      NODE_ENV: 'development',
      PORT: String(port),
      SANDBOX_PORT: String(await freePort()),
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok, 'the server to be ready', 60_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}\n${printed}`);
  });
  expect(printed).toContain(`console at http://127.0.0.1:${port}/`);

  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', quickStartBlock()], {
    cwd: work,
    env: { ...process.env, STATERA_URL: `http://localhost:${port}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const lines = run.stdout.trim().split('\n');
  // The definitions with their examples, each with its type.
  expect(lines).toContainEqual(expect.stringMatching(/^\{"type":"demo-transfer","version":1,"exampleInput":\{"transferId":/));
  expect(lines).toContain('{"id":"try-1","status":"running","state":"reserving"}');
  expect(lines).toContain('{"status":"waiting","state":"awaitingApproval"}');
  expect(lines).toContain('{"status":"completed","outcome":"success"}');
  expect(lines).toContainEqual(expect.stringMatching(/^\d+ activity\.attempt\.failed activity:reserveFunds$/));
  expect(lines).toContainEqual(expect.stringMatching(/^\d+ event\.received principal:ops-1$/));
  expect(lines).toContainEqual(expect.stringMatching(/^\d+ workflow\.completed /));
}, 120_000);
