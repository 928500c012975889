import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadExtraDefinitions } from '../../src/bootstrap/definitions';
import { PreflightError } from '../../src/bootstrap/preflight';

let dir: string;
const at = (name: string) => path.join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'statera-extra-'));
  writeFileSync(at('needs-dep.js'), "require('statera-no-such-package/sub');\nexports.definitions = [];\n");
  writeFileSync(at('needs-dep.ts'), "import { thing } from 'statera-no-such-package';\nexport const definitions = [thing];\n");
  writeFileSync(at('nothing.js'), 'exports.other = 1;\n');
  writeFileSync(at('not-definitions.js'), 'exports.definitions = [{ type: 1 }];\n');
  writeFileSync(at('broken.ts'), 'export const definitions: = [;\n');
  writeFileSync(at('typed.ts'), 'interface Nothing { a: number }\nconst none: Nothing[] = [];\nexport const definitions = none;\n');
  writeFileSync(at('esm.mjs'), 'export const definitions = [];\n');
  writeFileSync(at('cjs.cjs'), 'module.exports = { definitions: [] };\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = async (extra: string): Promise<Error> => {
  const err = await loadExtraDefinitions(extra).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error(`${extra} loaded`);
  expect(err).toBeInstanceOf(PreflightError);
  expect(err.message).not.toContain('\n');
  return err;
};

test('TypeScript, ES module and CommonJS files load as they are, with no compile step', async () => {
  await expect(loadExtraDefinitions([at('typed.ts'), at('esm.mjs'), at('cjs.cjs')].join(','))).resolves.toEqual([]);
});

test('an EXTRA_DEFINITIONS module that cannot load is one line saying what to do, as a preflight error (no stack printed)', async () => {
  expect((await failure(at('absent.js'))).message).toBe(`EXTRA_DEFINITIONS=${at('absent.js')}: no such file`);
  expect((await failure(at('needs-dep.js'))).message).toContain(
    "it imports 'statera-no-such-package/sub', which is not installed where the module is: run npm install statera-no-such-package next to it",
  );
  expect((await failure(at('needs-dep.ts'))).message).toContain("it imports 'statera-no-such-package', which is not installed where the module is");
  expect((await failure(at('nothing.js'))).message).toContain('exports no `definitions` array');
  expect((await failure(at('not-definitions.js'))).message).toContain('definitions[0] is not a defineWorkflow({...}) result');
  expect((await failure(at('broken.ts'))).message).toMatch(/broken\.ts: it does not parse: /);
});
