import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDefinitions } from '../../src/bootstrap/definitions';
import { PreflightError } from '../../src/bootstrap/preflight';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'statera-extra-'));
  writeFileSync(path.join(dir, 'needs-dep.js'), "require('statera-no-such-package/sub');\nexports.definitions = [];\n");
  writeFileSync(path.join(dir, 'nothing.js'), 'exports.other = 1;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (extra: string) => {
  try {
    loadDefinitions('http://127.0.0.1:4010', extra);
  } catch (err) {
    return err;
  }
  throw new Error('it loaded');
};

test('an EXTRA_DEFINITIONS module that cannot load is one line saying what to do, as a preflight error (no stack printed)', () => {
  const absent = failure(path.join(dir, 'absent.js'));
  expect(absent).toBeInstanceOf(PreflightError);
  expect((absent as Error).message).toBe(`EXTRA_DEFINITIONS=${path.join(dir, 'absent.js')}: no such file`);

  const dep = failure(path.join(dir, 'needs-dep.js')) as Error;
  expect(dep).toBeInstanceOf(PreflightError);
  expect(dep.message).toContain("it requires 'statera-no-such-package/sub', which is not installed where the module is: run npm install statera-no-such-package next to it");

  const nothing = failure(path.join(dir, 'nothing.js')) as Error;
  expect(nothing).toBeInstanceOf(PreflightError);
  expect(nothing.message).toContain('exports no `definitions` array');
  for (const e of [absent, dep, nothing]) expect((e as Error).message).not.toContain('\n');
});
