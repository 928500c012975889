import { randomBytes } from 'node:crypto';
import { PartnerUnavailableError, SandboxClient } from '../sandbox/client';
import { ApiError, mapLimit, statePath, StateraApi } from './api';
import { Driver } from './driver';
import { parseOptions, UsageError, type DemoOptions } from './options';
import { collectDescendants, ledgerCheck, outcomeTable, partnerTotals, renderReport, type Descendants, type LedgerCheck, type OutcomeRow, type PartnerTotals } from './report';
import { buildMix } from './scenarios';

export type { DemoOptions } from './options';

/** Something the demo needs is not there: the CLI prints the message as its one line. */
export class PrerequisiteError extends Error {
  override readonly name = 'PrerequisiteError';
}

export interface DemoResult {
  ok: boolean;
  /** Why not ok, in one sentence. */
  reason: string | null;
  runId: string;
  started: number;
  rows: OutcomeRow[];
  /** Workflows that had not ended when the demo stopped. */
  open: { id: string; type: string; state: string }[];
  descendants: Descendants;
  partners: PartnerTotals;
  ledger: LedgerCheck;
  signals: { sent: number; refused: number };
  report: string;
}

/**
 * The bank misbehaves for the whole run: often enough that retries and idempotent replays
 * show, never so often that a retry policy (5 attempts and up) runs out. The short hang
 * keeps a timed-out call from pinning an activity for its whole start-to-close timeout.
 */
const bankFaults = (seed: number) => ({ errorRate: 0.1, timeoutRate: 0.05, hangMs: 1_500, timeoutAppliedRate: 0.5, seed });

/** Where the servers' own definitions expect these (seeded by `npm start`); the demo checks before relying on them. */
const SERVER_ACCOUNTS = ['statera-settlement-eur', 'statera-settlement-usd', 'statera-settlement-gbp', 'BROKER-CLEARING-EUR'];

/** Set-up calls to a sandbox possibly still faulted by an interrupted run: safe to repeat, thanks to their keys. */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof PartnerUnavailableError) || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

async function preflight(api: StateraApi, partners: SandboxClient, o: DemoOptions): Promise<void> {
  const cause = (err: unknown) => (err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err));
  await api.health().catch((err: unknown) => {
    throw new PrerequisiteError(`no Statera API at ${o.apiUrl} (${cause(err)}): start it with \`npm start\`, or set STATERA_URL`);
  });
  await api.definitions().catch((err: unknown) => {
    if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) throw err;
    throw new PrerequisiteError(`the Statera API at ${o.apiUrl} refused the API key (${err.status}): set STATERA_API_KEY to an operator's key`);
  });
  await partners.admin.stats().catch((err: unknown) => {
    throw new PrerequisiteError(`no sandbox partners at ${o.partnersUrl} (${cause(err)}): \`npm start\` starts them with the API, or set PARTNERS_URL`);
  });
  for (const id of SERVER_ACCOUNTS) {
    await retrying(() => partners.bank.getAccount(id)).catch(() => {
      throw new PrerequisiteError(`the sandbox at ${o.partnersUrl} has no account ${id}: use the one \`npm start\` starts (it opens the demo accounts)`);
    });
  }
}

/**
 * A workflow that ended before asking (a payment failing before its fraud check) leaves its
 * pinned answer queued. Harmless, as nothing else matches the run id, but the sandbox should
 * be left as found. Only ended workflows' entries go: one still running (the demo timed out
 * or was interrupted) may yet ask. Everyone else's entries are put back as they are.
 */
async function dropUnusedScripts(partners: SandboxClient, ended: ReadonlySet<string>): Promise<void> {
  // Prefixes are `<workflowId>/` (its own calls) or `<workflowId>:` (its children's).
  const isEnded = (prefix: string | undefined) => prefix !== undefined && ended.has(prefix.slice(0, -1));
  for (const partner of ['fraud', 'credit', 'broker'] as const) {
    const config = await partners.admin.getFaults(partner);
    const script = config.script ?? [];
    const keep = script.filter((entry) => !isEnded(entry.match?.idempotencyKeyPrefix));
    if (keep.length < script.length) await partners.admin.setFaults(partner, { ...config, script: keep });
  }
}

/** One line a second: rewritten in place on a terminal, appended otherwise (logs, CI). */
function startProgress(driver: Driver, write: (text: string) => void, interactive: boolean, startedAt: number) {
  const line = () => {
    const c = driver.counts();
    const secs = String(Math.round((Date.now() - startedAt) / 1000)).padStart(4);
    return `${secs}s  ${c.running} running · ${c.waiting} waiting · ${c.completed} completed · ${c.failed} failed · ${c.cancelled} cancelled  | ${driver.signalsSent} signals sent`;
  };
  const show = (last: boolean) => write(interactive ? `\r${line()}\x1b[K${last ? '\n' : ''}` : `${line()}\n`);
  const timer = setInterval(() => show(false), 1_000);
  return {
    stop: () => {
      clearInterval(timer);
      show(true);
    },
  };
}

/** Starts a realistic mix of workflows, drives them to their ends as people and partners would, and reports. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const write = o.write ?? ((text: string) => void process.stdout.write(text));
  const api = new StateraApi(o.apiUrl, o.apiKey);
  const partners = new SandboxClient({ baseUrl: o.partnersUrl, timeoutMs: 5_000 });
  await preflight(api, partners, o);

  // Base-36 time plus randomness: unique across reruns, short enough for ids capped at 64 characters.
  const runId = `demo-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const seed = randomBytes(4).readUInt32BE() >>> 1;
  const mix = buildMix(runId, o.scale);
  const byType = mix.workflows.reduce<Record<string, number>>((n, w) => ({ ...n, [w.type]: (n[w.type] ?? 0) + 1 }), {});
  write(`run ${runId}: ${Object.entries(byType).map(([t, n]) => `${n} ${t}`).join(', ')}; bank faults ${JSON.stringify(bankFaults(seed))}\n`);

  const [statsBefore, ledgerBefore] = await Promise.all([partners.admin.stats(), partners.bank.ledgerTotals()]);
  // Accounts before the faults: opening them is set-up, not part of what is demonstrated.
  await mapLimit(mix.accounts, 8, (a) =>
    retrying(() => partners.bank.openAccount({ id: a.id, owner: a.owner, initialBalance: a.balance }, { idempotencyKey: `${runId}-open-${a.id}` })),
  );
  for (const { partner, entries } of mix.scripts) if (entries.length > 0) await partners.admin.script(partner, entries);

  const startedAt = Date.now();
  const driver = new Driver(api, partners, mix.workflows, (o.reviewerKeys ?? []).map((key) => new StateraApi(o.apiUrl, key)));
  await partners.admin.setFaults('bank', bankFaults(seed));
  const progress = startProgress(driver, write, o.interactive ?? false, startedAt);
  try {
    // The workflow id doubles as the Idempotency-Key: a start retried after a lost answer is the same start.
    await mapLimit(mix.workflows, 8, (w) => api.start({ type: w.type, workflowId: w.workflowId, input: w.input }, w.workflowId));
    await driver.drive(startedAt + o.timeoutMs, o.signal);
  } finally {
    progress.stop();
    // Whatever happened, the sandbox must not stay faulted for whoever uses it next.
    await partners.admin.clearFaults('bank').catch((err: unknown) => write(`could not clear the bank faults: ${(err as Error).message}\n`));
    const ended = new Set(mix.workflows.filter((w) => driver.isDone(w.workflowId)).map((w) => w.workflowId));
    await dropUnusedScripts(partners, ended).catch((err: unknown) => write(`could not drop this run's unused scripts: ${(err as Error).message}\n`));
  }

  const rootIds = mix.workflows.map((w) => w.workflowId);
  const [descendants, statsAfter, ledgerAfter] = await Promise.all([collectDescendants(api, rootIds), partners.admin.stats(), partners.bank.ledgerTotals()]);
  const rows = outcomeTable(mix.workflows, driver.views);
  const open = driver.open.map((w) => ({ id: w.workflowId, type: w.type, state: statePath(driver.views.get(w.workflowId)?.state ?? 'not started') }));
  const ledger = ledgerCheck(ledgerBefore, ledgerAfter);
  const totals = partnerTotals(statsBefore, statsAfter);
  const signals = { sent: driver.signalsSent, refused: driver.signalsRefused };
  const report = renderReport({ runId, rows, descendants, partners: totals, ledger, signals, elapsedMs: Date.now() - startedAt });
  write(report);

  const reasons: string[] = [];
  if (o.signal?.aborted) reasons.push('interrupted');
  const when = o.signal?.aborted ? 'when interrupted' : `after ${Math.round(o.timeoutMs / 1000)} s`;
  if (open.length > 0) reasons.push(`${open.length} of ${rootIds.length} workflows had not ended ${when}: ${describeOpen(open)}`);
  if (!ledger.balanced) reasons.push('the sandbox ledger does not balance');
  if (!ledger.unchanged) reasons.push(`the per-currency ledger totals changed (${JSON.stringify(ledger.before)} → ${JSON.stringify(ledger.after)})`);
  return { ok: reasons.length === 0, reason: reasons.join('; ') || null, runId, started: rootIds.length, rows, open, descendants, partners: totals, ledger, signals, report };
}

/** A few examples, plus the one cause the demo cannot help: a stock server settles trades a day later. */
function describeOpen(open: DemoResult['open']): string {
  const sample = open.slice(0, 4).map((w) => `${w.id} in ${w.state}`).join(', ') + (open.length > 4 ? ', …' : '');
  const t1 = open.some((w) => w.type === 'trade-execution' && w.state === 'awaitingSettlement');
  return t1 ? `${sample} (trades wait for their T+1 timer: with SANDBOX=true it is 10 s; set PROCESS_CONFIG='{"trade-execution":{"settlementLagMs":10000}}' otherwise)` : sample;
}

async function main(): Promise<void> {
  let options: DemoOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
  // Ctrl-C stops the driving but still clears the bank faults and reports.
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  try {
    const result = await runDemo({ ...options, interactive: process.stdout.isTTY === true, signal: abort.signal });
    if (!result.ok) process.stderr.write(`demo failed: ${result.reason}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof PrerequisiteError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
