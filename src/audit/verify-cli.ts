import 'reflect-metadata';
import { DomainError } from '../engine/errors/domain.error';
import { createDataSource } from '../persistence/data-source';
import { verifyChains, type VerifyReport } from './chain-verifier';

const USAGE = 'usage: npm run audit:verify [-- <workflowId>]   (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/statera)';

/** Verifies the history chains: exit 0 verified, 1 with the first failure, 2 on usage or connection errors. */
export async function runVerifyCli(args: string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  if (args.length > 1 || args.some((a) => a.startsWith('-'))) {
    err(USAGE);
    return 2;
  }
  const workflowId = args[0];
  const url = env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/statera';
  const db = createDataSource(url, 2);
  try {
    await db.initialize();
  } catch (e) {
    err(`audit:verify: cannot connect to the database ${redact(url)}: ${(e as Error).message}`);
    return 2;
  }
  try {
    const report: VerifyReport = await verifyChains(db, { workflowId });
    const scope = workflowId ? `workflow ${workflowId}` : 'all workflows';
    if (report.verified) {
      out(`verified: ${scope}, ${report.instances} instances, ${report.records} records`);
      return 0;
    }
    const f = report.firstFailure!;
    out(`NOT verified: ${scope}, ${report.instances} instances, ${report.records} records`);
    out(`first failure: workflow ${f.workflowId} seq ${f.seq}: ${f.reason}${f.expected !== undefined ? ` (expected ${f.expected}, found ${f.found})` : ''}`);
    return 1;
  } catch (e) {
    if (e instanceof DomainError && e.code === 'workflow_not_found') err(`audit:verify: no workflow ${workflowId}`);
    else err(`audit:verify: ${(e as Error).message}`);
    return 2;
  } finally {
    await db.destroy().catch(() => undefined);
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

if (require.main === module) {
  runVerifyCli(process.argv.slice(2), process.env, (l) => console.log(l), (l) => console.error(l)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      console.error(`audit:verify: ${e.message}`);
      process.exitCode = 2;
    },
  );
}
