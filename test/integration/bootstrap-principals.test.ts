import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiKeyService, generateApiKey } from '../../src/auth/api-key.service';
import { bootstrapPrincipals, type BootstrapOptions, type DevKeysFile } from '../../src/auth/bootstrap-principals';
import { createTestDatabase, type TestDatabase } from '../support/env';

let db: TestDatabase;
let dir: string;

beforeEach(async () => {
  db = await createTestDatabase('bootstrap_principals');
  dir = await mkdtemp(path.join(tmpdir(), 'statera-keys-'));
});
afterEach(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<BootstrapOptions> = {}) {
  const out: string[] = [];
  const o: BootstrapOptions = { samples: true, devKeysFile: path.join(dir, '.statera', 'dev-keys.json'), write: (t) => void out.push(t), log: () => undefined, ...overrides };
  return { o, out };
}

test('a first start in development creates the sample principals, prints their keys once and writes them 0600; never again', async () => {
  const keys = new ApiKeyService(db.dataSource, 0);
  const { o, out } = options();
  const issued = await bootstrapPrincipals(keys, o);

  expect(issued.map((i) => [i.principal.id, i.principal.roles, i.principal.groups])).toEqual([
    ['ops-1', ['operator'], []],
    ['reviewer-1', ['reviewer'], ['fraud-analysts', 'underwriters']],
    ['reviewer-2', ['reviewer'], ['compliance', 'underwriters']],
    ['reviewer-3', ['reviewer'], ['underwriters']],
    ['auditor-1', ['auditor'], []],
  ]);
  for (const i of issued) expect(await keys.resolve(i.key)).toEqual(i.principal);
  expect(out).toHaveLength(1);
  for (const i of issued) expect(out[0].split(i.key)).toHaveLength(2);

  expect((await stat(o.devKeysFile)).mode & 0o777).toBe(0o600);
  const saved = JSON.parse(await readFile(o.devKeysFile, 'utf8')) as DevKeysFile;
  expect(saved.principals.map((p) => [p.id, p.key])).toEqual(issued.map((i) => [i.principal.id, i.key]));

  const again = options({ devKeysFile: path.join(dir, 'second.json') });
  expect(await bootstrapPrincipals(keys, again.o)).toEqual([]);
  expect(again.out).toEqual([]);
  await expect(stat(again.o.devKeysFile)).rejects.toMatchObject({ code: 'ENOENT' });
});

test('no sample principals outside development, nor when the bootstrap admin is configured', async () => {
  const keys = new ApiKeyService(db.dataSource, 0);
  expect(await bootstrapPrincipals(keys, options({ samples: false }).o)).toEqual([]);
  const adminKey = generateApiKey();
  const { o, out } = options({ adminKey });
  expect(await bootstrapPrincipals(keys, o)).toEqual([]);
  expect(out).toEqual([]);
  expect(await keys.resolve(adminKey)).toMatchObject({ id: 'admin', roles: ['operator', 'reviewer', 'auditor', 'admin', 'platform-admin'] });
  expect((await db.dataSource.query('SELECT id FROM principal')).map((r: { id: string }) => r.id)).toEqual(['admin']);
});

test('a rotated bootstrap admin key retires the previous one; a revoked one stops the start rather than coming back', async () => {
  const keys = new ApiKeyService(db.dataSource, 0);
  const first = 'a-long-enough-bootstrap-key-1';
  const second = 'a-long-enough-bootstrap-key-2';
  await bootstrapPrincipals(keys, options({ adminKey: first, samples: false }).o);
  await bootstrapPrincipals(keys, options({ adminKey: first, samples: false }).o);
  expect(await keys.resolve(first)).toMatchObject({ id: 'admin' });

  await bootstrapPrincipals(keys, options({ adminKey: second, samples: false }).o);
  expect(await keys.resolve(first)).toBeUndefined();
  expect(await keys.resolve(second)).toMatchObject({ id: 'admin' });

  await expect(bootstrapPrincipals(keys, options({ adminKey: first, samples: false }).o)).rejects.toThrow(/^invalid configuration: STATERA_BOOTSTRAP_ADMIN_KEY has been revoked/);
});

test('a key planted on the bootstrap principal before its roles are raised is revoked with the raise', async () => {
  const keys = new ApiKeyService(db.dataSource, 0);
  // A tenant admin of `default` makes a principal with the bootstrap admin's id, and keeps its key.
  const planted = await keys.issue({ id: 'admin', displayName: 'Administrator', roles: ['admin'], groups: [], tenant: 'default' });
  expect((await keys.resolve(planted.key))?.roles).toEqual(['admin']);
  const adminKey = generateApiKey();
  await bootstrapPrincipals(keys, options({ adminKey, samples: false }).o);
  expect(await keys.resolve(planted.key)).toBeUndefined();
  expect((await keys.resolve(adminKey))?.roles).toContain('platform-admin');
  // A restart with the same key raises nothing: a key issued since by a platform admin stays.
  const later = await keys.issue({ id: 'admin', displayName: 'Administrator', roles: ['operator', 'reviewer', 'auditor', 'admin', 'platform-admin'], groups: [], tenant: 'default' });
  await bootstrapPrincipals(keys, options({ adminKey, samples: false }).o);
  expect(await keys.resolve(later.key)).toBeDefined();
});
