import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownId } from '../machines/payment-settlement/payment-settlement.activities';
import { StateraApi } from '../src/demo/api';
import { createDataSource } from '../src/persistence/data-source';
import { SandboxClient } from '../src/sandbox/client';
import { sleep, startTopology, type Topology } from './cluster';
import { FaultInjector } from './faults';
import { checkInvariants, failed, PROPERTIES, type CheckInput, type Property, type Violations } from './invariants';
import { makePrincipals, planPayments, preparePartners, rng, Workload } from './workload';

/**
 * `npm run chaos`: payments under crashes of every part, then the standing invariants.
 * CHAOS_PAYMENTS (default 300), CHAOS_FAULT_S (default 60), CHAOS_SEED (default: random,
 * printed), CHAOS_SETTLE_S (how long everything may take to end after the last fault, 600),
 * CHAOS_KEEP=1 keeps the run's folder (logs, database) even when it passes.
 * `--self-test` (or CHAOS_SELF_TEST=1): after the run, breaks each property on purpose and
 * shows that its check fails.
 */

function intOption(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`chaos: ${name} must be an integer ≥ ${min}, got '${raw}'\n`);
    process.exit(2);
  }
  return n;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const say = (line: string) => process.stdout.write(`${line}\n`);

/** The sample processes' timings, shortened so a payment ends in seconds. */
const PROCESS_CONFIG = {
  'payment-settlement': { settlementTimeoutMs: 5000 },
  'fraud-check': { reviewSlaMs: 60_000 },
};

/** The operator's repair: every open incident retried, as docs/operations.md says. */
async function retryIncidents(apiUrl: string, key: string): Promise<number> {
  const res = await fetch(`${apiUrl}/v1/incidents?status=open&limit=200`, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) return 0;
  const { items } = (await res.json()) as { items: { id: string }[] };
  for (const i of items) {
    await fetch(`${apiUrl}/v1/incidents/${i.id}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'chaos run: the faults are over' }),
    }).then((r) => r.arrayBuffer(), () => undefined);
  }
  return items.length;
}

async function main(): Promise<void> {
  const selfTest = process.argv.includes('--self-test') || process.env.CHAOS_SELF_TEST === '1';
  const paymentsN = intOption('CHAOS_PAYMENTS', 300, 1);
  const faultS = intOption('CHAOS_FAULT_S', 60, 0);
  const settleS = intOption('CHAOS_SETTLE_S', 600, 10);
  const seed = intOption('CHAOS_SEED', randomBytes(4).readUInt32BE() >>> 1, 0);
  const random = rng(seed);
  const runDir = mkdtempSync(path.join(tmpdir(), 'statera-chaos-'));
  say(`chaos: ${paymentsN} payments, ${faultS} s of faults, seed ${seed}${selfTest ? ', self-test' : ''}; logs in ${runDir}`);
  say(`  reproduce: CHAOS_PAYMENTS=${paymentsN} CHAOS_FAULT_S=${faultS} CHAOS_SEED=${seed} npm run chaos${selfTest ? ' -- --self-test' : ''}`);

  const t0 = Date.now();
  let topology: Topology | undefined;
  // Ctrl-C (or a test's timeout) ends what the run started, PostgreSQL included, by their PIDs.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`chaos: ${signal}, stopping what the run started; its folder is kept: ${runDir}`);
      void (topology?.close() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  let passed = false;
  try {
    topology = await startTopology(runDir, { workers: 2, adminKey: randomBytes(24).toString('hex'), processConfig: PROCESS_CONFIG });
    const t = topology;
    say(`  up in ${((Date.now() - t0) / 1000).toFixed(1)} s: PostgreSQL :${t.pg.port}, Redis :${t.redisPort}, sandbox ${t.sandboxUrl}, API ${t.apiUrl}, ${t.workers.length} workers`);
    const partners = new SandboxClient({ baseUrl: t.sandboxUrl, timeoutMs: 10_000 });
    const payments = planPayments(paymentsN, random);
    await preparePartners(partners, payments);
    const opened = await partners.bank.ledgerTotals();
    const keys = await makePrincipals(t.apiUrl, t.adminKey);
    const api = new StateraApi(t.apiUrl, keys.operator, 15_000);
    const workload = new Workload(api, partners, keys.reviewers.map((k) => new StateraApi(t.apiUrl, k, 15_000)), payments);
    const faults = new FaultInjector(t, partners, random);

    // Starts spread over the fault window (a tenth of it at least), faults from the first second.
    const submitted = workload.submit(Math.max(faultS * 900, 1000));
    await Promise.all([submitted, faults.run(faultS * 1000)]);
    say(`  faults over after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(faults.counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const m of t.all) if (!m.running) await m.start(180_000);
    await workload.settle();

    // Everything acknowledged ends; an open incident is the operator's to retry.
    const db = await t.pg.connect();
    let incidentsRetried = 0;
    const settleDeadline = Date.now() + settleS * 1000;
    let lastRetry = 0;
    for (;;) {
      const { rows } = await db.query(`SELECT count(*) FILTER (WHERE status NOT IN ('completed', 'failed', 'cancelled', 'terminated'))::int AS open, count(*) FILTER (WHERE open_incidents > 0)::int AS incidents FROM workflow_instance`);
      if (rows[0].open === 0) break;
      if (Date.now() > settleDeadline) {
        say(`  ${rows[0].open} workflows still open ${settleS} s after the last fault`);
        break;
      }
      if (rows[0].incidents > 0 && Date.now() - lastRetry > 5000) {
        incidentsRetried += await retryIncidents(t.apiUrl, keys.operator);
        lastRetry = Date.now();
      }
      await sleep(500);
    }
    const endedAt = Date.now();
    await workload.stop();

    const dataSource = createDataSource(t.pg.url, 2);
    await dataSource.initialize();
    const input: CheckInput = { db, dataSource, partners, payments, acknowledged: new Set(workload.stats.acknowledged.keys()), opened, processes: t.all };
    const violations = await checkInvariants(input);

    // Figures.
    const outcomes = (await db.query(`SELECT status, coalesce(output->>'outcome', '-') AS outcome, count(*)::int AS n FROM workflow_instance WHERE type = 'payment-settlement' GROUP BY 1, 2 ORDER BY 3 DESC`)).rows;
    const reasons = (await db.query(`SELECT coalesce(output->>'reason', output->>'outcome', status) AS reason, count(*)::int AS n FROM workflow_instance WHERE type = 'payment-settlement' GROUP BY 1 ORDER BY 2 DESC`)).rows;
    const latencies = (await db.query(`SELECT extract(epoch FROM ended_at - created_at) * 1000 AS ms FROM workflow_instance WHERE type = 'payment-settlement' AND ended_at IS NOT NULL ORDER BY 1`)).rows.map((r) => Number(r.ms));
    const fxDeals = (await Promise.all(payments.filter((p) => p.creditorCurrency !== 'EUR').map((p) => partners.fx.findQuotes(ownId(p.workflowId, 'fx'))))).flatMap((q) => q.items);
    const bankStats = (await partners.admin.stats()).partners;
    const figures = {
      seed,
      payments: paymentsN,
      acknowledged: workload.stats.acknowledged.size,
      unacknowledged: workload.stats.unacknowledged.length,
      startAttemptsRefused: workload.stats.startAttemptsFailed,
      cancels: { accepted: workload.stats.cancelsSent, refused: workload.stats.cancelsRefused },
      planned: {
        fx: payments.filter((p) => p.creditorCurrency !== 'EUR').length,
        short: payments.filter((p) => p.opening < p.amount.value).length,
        toAnalyst: payments.filter((p) => p.review).length,
        declinedByScore: payments.filter((p) => p.score > 75).length,
        payoutFails: payments.filter((p) => p.payoutFails).length,
        cancelled: payments.filter((p) => p.cancelAfterMs !== undefined).length,
      },
      outcomes: Object.fromEntries(outcomes.map((o) => [`${o.status}/${o.outcome}`, o.n])),
      reasons: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
      faults: faults.counts,
      partnerCalls: Object.fromEntries(Object.entries(bankStats ?? {}).filter(([k]) => k === 'bank' || k === 'fx')),
      fx: { quotes: fxDeals.length, executed: fxDeals.filter((q) => q.status === 'executed').length, reversed: fxDeals.filter((q) => q.status === 'reversed').length },
      signalsSent: workload.driver.signalsSent,
      incidentsRetried,
      processStarts: Object.fromEntries(t.all.map((m) => [m.spec.name, m.starts])),
      secondsFromLastFaultToAllEnded: Number(((endedAt - faults.lastFaultEndedAt) / 1000).toFixed(1)),
      latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), max: Math.round(latencies.at(-1) ?? NaN) },
      totalSeconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    };
    writeFileSync(path.join(runDir, 'figures.json'), `${JSON.stringify({ figures, violations, faultLog: faults.log }, null, 2)}\n`);
    say(`  figures: ${JSON.stringify(figures, null, 1).replace(/\n\s*/g, ' ')}`);
    report(violations);
    passed = failed(violations).length === 0;

    if (passed && selfTest) passed = await runSelfTest(input, t);
    await dataSource.destroy();
    await db.end();
  } catch (err) {
    say(`chaos: the run stopped: ${(err as Error).stack ?? err}`);
  } finally {
    await topology?.close().catch(() => undefined);
    if (passed && process.env.CHAOS_KEEP !== '1') rmSync(runDir, { recursive: true, force: true });
    else say(`  the run's folder is kept: ${runDir}`);
  }
  say(passed ? 'chaos: PASS' : 'chaos: FAIL');
  process.exitCode = passed ? 0 : 1;
}

function report(v: Violations): void {
  for (const p of PROPERTIES) {
    const found = v[p];
    say(`  ${found.length === 0 ? 'ok  ' : 'FAIL'} ${p}${found.length ? `: ${found.length} — ${found.slice(0, 5).join('; ')}${found.length > 5 ? '; …' : ''}` : ''}`);
  }
}

/**
 * Breaks each property on purpose, one after another, and checks that its check now fails:
 * a check that cannot fail proves nothing. Each break is the fault it stands for, done for
 * real: money moved at the partner, a record rewritten past its trigger, a process killed
 * behind the run's back.
 */
async function runSelfTest(input: CheckInput, t: Topology): Promise<boolean> {
  say('  self-test: each property broken on purpose');
  const { db, partners, payments } = input;
  const settledIds = new Set((await db.query<{ id: string }>(`SELECT id FROM workflow_instance WHERE output->>'outcome' = 'settled'`)).rows.map((r) => r.id));
  const settled = payments.filter((p) => settledIds.has(p.workflowId));
  const eur = settled.filter((p) => p.creditorCurrency === 'EUR');
  const fx = settled.filter((p) => p.creditorCurrency !== 'EUR');
  if (eur.length < 4 || fx.length < 1) {
    say(`  self-test needs 4 settled EUR payments and one settled FX payment, the run has ${eur.length} and ${fx.length}: raise CHAOS_PAYMENTS`);
    return false;
  }
  const acknowledged = new Set(input.acknowledged);
  const breaks: [Property, string, () => Promise<void>][] = [
    ['no money moved twice at the bank', `a second payout with ${eur[0].workflowId}'s end-to-end id`, async () => {
      await partners.bank.createTransfer({ from: eur[0].debtorAccount, to: eur[0].creditorAccount, amount: eur[0].amount, endToEndId: ownId(eur[0].workflowId, 'payout') }, { idempotencyKey: 'self-test-payout' });
    }],
    ['no money moved twice at FX', `a second deal for ${fx[0].workflowId}`, async () => {
      const quote = await partners.fx.createQuote({ from: 'EUR', to: fx[0].creditorCurrency, amount: fx[0].amount, reference: ownId(fx[0].workflowId, 'fx') }, { idempotencyKey: 'self-test-quote' });
      await partners.fx.executeQuote(quote.id, { idempotencyKey: 'self-test-execute' });
    }],
    ['every settled payment moved exactly its amounts, every other one nothing', `one cent more to ${eur[1].workflowId}'s creditor`, async () => {
      await partners.bank.createTransfer({ from: eur[1].debtorAccount, to: eur[1].creditorAccount, amount: { value: 1, currency: 'EUR' } }, { idempotencyKey: 'self-test-cent' });
    }],
    ['the ledger balances per currency', 'money from nowhere: an account opened with 1 EUR', async () => {
      await partners.bank.openAccount({ id: 'self-test-windfall', initialBalance: { value: 100, currency: 'EUR' } }, { idempotencyKey: 'self-test-windfall' });
    }],
    ['every chain verifies', `a history record of ${eur[2].workflowId} rewritten by the database's owner`, async () => {
      await db.query('ALTER TABLE workflow_history DISABLE TRIGGER USER');
      await db.query(`UPDATE workflow_history SET data = jsonb_set(data, '{tampered}', 'true') WHERE workflow_id = $1 AND seq = 2`, [eur[2].workflowId]);
      await db.query('ALTER TABLE workflow_history ENABLE TRIGGER USER');
    }],
    ['nothing is left pending', 'a settled timer set back to scheduled, due tomorrow', async () => {
      // Due in the future: an overdue one would be re-sent by the next sweep and fired again,
      // repaired before the check reads it (the sweeper doing its job, not the check missing).
      await db.query(`UPDATE timer SET status = 'scheduled', due_at = now() + interval '1 day' WHERE id = (SELECT id FROM timer WHERE status <> 'scheduled' ORDER BY created_at LIMIT 1)`);
    }],
    ['no project process exited by itself', 'a worker killed behind the run\'s back', async () => {
      const worker = t.workers[0].child!;
      const exited = new Promise((r) => worker.once('exit', r));
      process.kill(worker.pid!, 'SIGKILL');
      await exited;
    }],
    // Last: the other checks read this payment's row.
    ['every acknowledged start exists and ends', `${eur[3].workflowId}'s committed row deleted past the database's checks`, async () => {
      // session_replication_role = replica skips triggers and foreign keys: a lost row, as a bad restore would leave.
      await db.query('BEGIN');
      await db.query('SET LOCAL session_replication_role = replica');
      await db.query('DELETE FROM workflow_instance WHERE id = $1', [eur[3].workflowId]);
      await db.query('COMMIT');
    }],
  ];
  let ok = true;
  for (const [property, what, apply] of breaks) {
    const before = new Set((await checkInvariants({ ...input, acknowledged }))[property]);
    await apply();
    // Caught when the check reports something it did not before the break.
    const fresh = (await checkInvariants({ ...input, acknowledged }))[property].filter((found) => !before.has(found));
    ok &&= fresh.length > 0;
    say(`  ${fresh.length > 0 ? 'caught' : 'MISSED'} ${property} ← ${what}${fresh.length > 0 ? `: ${fresh[0]}` : ''}`);
  }
  return ok;
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
