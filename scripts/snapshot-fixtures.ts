// `npm run snapshot-fixtures`: writes test/fixtures/snapshots/<type>@<version>.json, one
// persisted snapshot per state the models reach. Run it when a new version is added; an
// existing version's file is never rewritten (its instances are in databases as they are).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, snapshotFixtures } from '../test/support/snapshot-fixtures';

const force = process.argv.includes('--force');
mkdirSync(FIXTURES_DIR, { recursive: true });
for (const f of snapshotFixtures()) {
  const file = path.join(FIXTURES_DIR, `${f.type}@${f.version}.json`);
  if (existsSync(file) && !force) {
    process.stdout.write(`kept ${file} (a deployed version's snapshots do not change; --force rewrites it)\n`);
    continue;
  }
  writeFileSync(file, `${JSON.stringify(f.snapshots, null, 2)}\n`);
  process.stdout.write(`wrote ${file}: ${Object.keys(f.snapshots).length} states\n`);
}
