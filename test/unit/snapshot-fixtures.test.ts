import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadDefinitions } from '../../src/bootstrap/definitions';
import { persist, restore } from '../../src/engine/decider/snapshot';
import { FIXTURES_DIR, snapshotFixtures } from '../support/snapshot-fixtures';

// Persisted snapshots as the database holds them, one per state, per definition version, kept
// in the repository: each must restore in the registered machine as it is (an xstate upgrade
// that changes the persisted shape, or a machine change that strands a state, fails here).

const ROOT = path.join(__dirname, '../..');
const dir = path.join(ROOT, FIXTURES_DIR);
const definitions = loadDefinitions('http://127.0.0.1:1');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test.each(files)('%s: every state restores in the registered machine and persists back unchanged', (file) => {
  const [type, version] = file.replace(/\.json$/, '').split('@');
  const definition = definitions.find((d) => d.type === type && d.version === Number(version));
  if (!definition) throw new Error(`${file}: no registered ${type}@${version}: a version with instances in a database must stay registered (or its fixture retired with it)`);
  const snapshots = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, { value: unknown; status: string }>;
  const failures: string[] = [];
  for (const [state, persisted] of Object.entries(snapshots)) {
    try {
      const restored = restore(definition.machine, persisted);
      if (!isDeepStrictEqual(restored.value, persisted.value) || restored.status !== persisted.status) failures.push(`${state}: restores as ${JSON.stringify(restored.value)} (${restored.status})`);
      // As the database keeps it: JSON (a key whose value is undefined is not stored).
      else if (!isDeepStrictEqual(JSON.parse(JSON.stringify(persist(definition.machine, restored))), persisted)) failures.push(`${state}: persists back differently`);
    } catch (err) {
      failures.push(`${state}: ${(err as Error).message}`);
    }
  }
  expect(failures).toEqual([]);
  expect(Object.keys(snapshots).length).toBeGreaterThan(3);
});

test('every process version the models reach has its fixture, and the models still reach what it holds', () => {
  for (const f of snapshotFixtures()) {
    const file = `${f.type}@${f.version}.json`;
    expect([file, files.includes(file)]).toEqual([file, true]);
    const kept = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    // Same states, same persisted shape: a difference means xstate or the machine changed what instances hold.
    expect([file, Object.keys(f.snapshots)]).toEqual([file, Object.keys(kept)]);
    for (const [state, snapshot] of Object.entries(f.snapshots)) expect([file, state, snapshot]).toEqual([file, state, kept[state]]);
  }
});
