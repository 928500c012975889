// `npm run impact -- <type> <module> [--allow-divergence] [--json]`: what the newest version of
// <type> in <module> would do to every live instance of the type's other versions, for a CI
// gate before a deployment. Reads DATABASE_URL (the deployment's database, read only).
import { parseArgs } from 'node:util';
import { loadDefinitions, loadExtraDefinitions } from '../src/bootstrap/definitions';
import { PreflightError } from '../src/bootstrap/preflight';
import { loadConfig } from '../src/config/config';
import type { WorkflowDefinition } from '../src/engine/definition/definition';
import { createDataSource } from '../src/persistence/data-source';
import { stateLabel } from '../src/engine/decider/snapshot';
import { analyseImpact, type ImpactItem, type ImpactReport } from '../src/versions/impact';

const USAGE = 'usage: npm run impact -- <type> <module> [--allow-divergence] [--json]   (DATABASE_URL names the database)';

function line(item: ImpactItem): string {
  const what =
    item.result === 'diverges' && item.divergence
      ? `diverges at #${item.divergence.seq} ${item.divergence.kind}${item.divergence.event ? ` ${item.divergence.event}` : ''}: ${stateLabel(item.divergence.recorded.state)} → ${item.divergence.candidate ? stateLabel(item.divergence.candidate.state) : `throws (${item.divergence.reason})`}`
      : item.result === 'incompatible'
        ? `incompatible: ${item.reason}`
        : 'identical';
  return `  ${item.tenant === 'default' ? item.workflowId : `${item.tenant}/${item.workflowId}`}  v${item.version}  ${stateLabel(item.state)}  ${what}`;
}

function print(report: ImpactReport): string {
  const s = report.summary;
  const out = [
    `${report.type} v${report.candidate.version} against ${s.instances} live instances of ${report.fromVersions.map((v) => `v${v}`).join(', ') || 'no other version'} (every tenant): ${s.identical} identical, ${s.diverges} diverges, ${s.incompatible} incompatible${report.truncated ? ' (truncated at the limit)' : ''}`,
  ];
  for (const b of s.byState) out.push(`  in ${b.state}: ${b.identical} identical, ${b.diverges} diverges, ${b.incompatible} incompatible`);
  const changed = report.items.filter((i) => i.result !== 'identical');
  if (changed.length) out.push('', 'instances the candidate would take differently:', ...changed.slice(0, 50).map(line), ...(changed.length > 50 ? [`  … and ${changed.length - 50} more (--json lists all)`] : []));
  if (!report.comparedActions) out.push('', 'note: some instances\' own versions are not in this checkout or the module: their states were compared, not their actions');
  return `${out.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'allow-divergence': { type: 'boolean' }, json: { type: 'boolean' } } });
  const [type, modulePath] = positionals;
  if (!type || !modulePath || positionals.length > 2) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const loaded = await loadExtraDefinitions(modulePath);
  const candidate = loaded.filter((d) => d.type === type).sort((a, b) => b.version - a.version)[0];
  if (!candidate) throw new PreflightError(`${modulePath} defines no version of ${type} (it defines ${[...new Set(loaded.map((d) => d.type))].join(', ') || 'none'})`);
  const known = new Map<string, WorkflowDefinition>();
  for (const d of [...loadDefinitions('http://127.0.0.1:1'), ...loaded]) known.set(`${d.type}@${d.version}`, d);
  const config = loadConfig();
  const db = createDataSource(config.DATABASE_URL, 2);
  await db.initialize();
  try {
    const report = await analyseImpact(db, candidate, (v) => known.get(`${type}@${v}`), { source: modulePath });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : print(report));
    return report.summary.diverges + report.summary.incompatible > 0 && !values['allow-divergence'] ? 1 : 0;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`impact: ${err instanceof PreflightError || (err as Error)?.message?.startsWith('invalid configuration') ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`);
    process.exit(1);
  },
);
