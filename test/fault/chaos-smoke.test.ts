import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

// A short `npm run chaos` with its self-test: 60 payments and 30 s of faults against a
// private PostgreSQL and Redis, then every invariant, then each one broken on purpose to
// show its check fails. The full run's figures are in docs/reliability.md.

let child: ChildProcess | undefined;
afterAll(() => {
  // Only if the test gave up on it: the run stops what it started when told to.
  if (child && child.exitCode === null) child.kill('SIGTERM');
});

test('npm run chaos, short, with its self-test: every invariant holds and every check catches its break', async () => {
  const root = path.join(__dirname, '../..');
  child = spawn(process.execPath, ['-r', '@swc-node/register', 'chaos/run.ts', '--self-test'], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: path.join(root, 'tsconfig.json'), CHAOS_PAYMENTS: '60', CHAOS_FAULT_S: '30', CHAOS_SEED: '20261202', CHAOS_SETTLE_S: '180' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
  process.stdout.write(`${output.split('\n').filter((l) => /figures|faults over|caught|MISSED|FAIL|PASS/.test(l)).join('\n')}\n`);
  expect({ code, tail: output.slice(-4000) }).toEqual({ code: 0, tail: expect.stringContaining('chaos: PASS') });
  expect(output.match(/^ {2}ok {3}/gm)).toHaveLength(8);
  expect(output.match(/^ {2}caught /gm)).toHaveLength(8);
  expect(output).not.toMatch(/MISSED/);
}, 300_000);
