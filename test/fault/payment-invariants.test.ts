import { fraudCheckDefinition } from '../../machines/fraud-check';
import { paymentSettlementDefinition } from '../../machines/payment-settlement';
import { seedDemoAccounts } from '../../machines/shared/demo-accounts';
import { GENESIS_HASH, hashRecord, recordFromRow } from '../../src/engine/store/history';
import { query } from '../../src/engine/store/sql';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { waitFor } from '../support/env';
import { startHarness, USER, type Harness } from '../support/harness';

/**
 * Jepsen's bank workload, on payments: 500 of them while the bank fails and times out at
 * random (some timeouts after it applied the request). Only invariants are checked at the end.
 */
const PAYMENTS = 500;
const OPENING = 10_000_000;

let sandbox: RunningSandbox;
let partners: SandboxClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  // The client gives up on a hung call after 1 s, so a timeout costs a retry, not the test's time.
  partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 1000 });
  await seedDemoAccounts(partners);
  const deps = { partners };
  // Scores of 85-86 go to an analyst nobody assigns: the review's SLA declines them.
  const fraudCheck = fraudCheckDefinition(deps, { lowThreshold: 85, highThreshold: 86, reviewSlaMs: 500 });
  const payment = paymentSettlementDefinition(deps, { settlementTimeoutMs: 300 }, { fraudCheck: fraudCheck.machine });
  h = await startHarness('invariants', [fraudCheck, payment], {
    worker: { lockDurationMs: 10_000, stalledIntervalMs: 2000, concurrency: { activities: 64, timers: 16, effects: 8, events: 16 } },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

test(`${PAYMENTS} payments while the bank fails and times out at random: all end, none paid twice, the ledger balances, every chain verifies`, async () => {
  const before = await partners.bank.ledgerTotals();
  const payments = Array.from({ length: PAYMENTS }, (_, i) => ({
    paymentId: `inv-${i}`,
    debtorAccount: `inv-debtor-${i}`,
    creditorAccount: `inv-creditor-${i}`,
    amount: { value: 1_000 + (i % 97) * 13, currency: 'EUR' },
    creditorCurrency: i % 5 === 0 ? 'USD' : 'EUR',
  }));
  for (const p of payments) {
    await partners.bank.openAccount({ id: p.debtorAccount, initialBalance: { value: OPENING, currency: 'EUR' } }, { idempotencyKey: `open-${p.debtorAccount}` });
    await partners.bank.openAccount({ id: p.creditorAccount, initialBalance: { value: 0, currency: p.creditorCurrency } }, { idempotencyKey: `open-${p.creditorAccount}` });
  }
  const opened = await partners.bank.ledgerTotals();
  await partners.admin.setFaults('bank', { errorRate: 0.15, timeoutRate: 0.1, timeoutAppliedRate: 0.5, hangMs: 1500, seed: 20261126 });

  for (let i = 0; i < PAYMENTS; i += 50) {
    await Promise.all(payments.slice(i, i + 50).map((p) => h.runtime.engine.start({ type: 'payment-settlement', workflowId: p.paymentId, input: p }, USER)));
  }
  // Every instance ends, or waits for an operator with an open incident (a step whose every
  // attempt failed and that the process does not handle): never `failed` by accident.
  await waitFor(async () => {
    const [row] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE status IN ('running', 'waiting') AND open_incidents = 0`);
    return row.n === 0;
  }, 'every payment and child to end or have an incident', 240_000, 500);
  await partners.admin.clearFaults('bank');
  // The operator's repair once the bank is well again: retry every open incident, until none is left.
  let incidents = 0;
  for (let round = 0; round < 5; round++) {
    const open = await query<{ id: string }>(h.db.dataSource, `SELECT id FROM incident WHERE status = 'open'`);
    if (open.length === 0) break;
    incidents += open.length;
    for (const i of open) {
      await h.runtime.operations.retry('default', i.id, { actor: { actor: 'principal:ops' }, reason: 'the bank is back' }).catch((err: { code?: string }) => {
        if (err.code !== 'incident_retry_failed' && err.code !== 'incident_not_open') throw err;
      });
    }
    await waitFor(async () => {
      const [row] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE status IN ('running', 'waiting') AND open_incidents = 0`);
      return row.n === 0;
    }, 'the retried ones to end or have an incident again', 60_000, 500);
  }
  expect((await query(h.db.dataSource, `SELECT id FROM incident WHERE status = 'open'`))).toEqual([]);
  await waitFor(async () => {
    const [row] = await query(h.db.dataSource, `SELECT count(*)::int AS n FROM workflow_instance WHERE status IN ('running', 'waiting')`);
    return row.n === 0;
  }, 'every payment and child to end', 60_000, 500);

  // Every payment ended.
  const rows = await query(h.db.dataSource, `SELECT id, status, output, snapshot FROM workflow_instance WHERE type = 'payment-settlement'`);
  expect(rows).toHaveLength(PAYMENTS);
  const byStatus = rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [`${r.status}/${r.output?.outcome}`]: (acc[`${r.status}/${r.output?.outcome}`] ?? 0) + 1 }), {});
  process.stdout.write(`payment invariants: ${JSON.stringify(byStatus)}; incidents retried ${incidents}; bank stats ${JSON.stringify((await partners.admin.stats()).partners?.bank ?? null)}\n`);
  expect(rows.every((r) => r.status === 'completed' || r.status === 'failed')).toBe(true);
  // `failed` only where the process chose it (its outcome says why), never an engine's forced end.
  expect(rows.filter((r) => r.status === 'failed' && !r.output?.outcome).map((r) => r.id)).toEqual([]);

  // None paid twice, none half-done: a settled payment moved its amount exactly once each way,
  // any other left both accounts as they were; no hold is left behind.
  const byId = new Map(rows.map((r) => [r.id, r]));
  const wrong: string[] = [];
  for (const p of payments) {
    const r = byId.get(p.paymentId)!;
    const debtor = await partners.bank.getAccount(p.debtorAccount);
    const creditor = await partners.bank.getAccount(p.creditorAccount);
    const settled = r.output?.outcome === 'settled';
    const payout = settled ? r.snapshot.context.payout.value : 0;
    const expected = { debtor: settled ? OPENING - p.amount.value : OPENING, held: 0, creditor: payout };
    const actual = { debtor: debtor.balance.value, held: debtor.held.value, creditor: creditor.balance.value };
    if (JSON.stringify(expected) !== JSON.stringify(actual) || (settled && payout <= 0)) wrong.push(`${p.paymentId} ${r.output?.outcome}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`);
  }
  expect(wrong).toEqual([]);
  expect(rows.filter((r) => r.output?.outcome === 'settled').length).toBeGreaterThan(PAYMENTS / 2);

  // The ledger's totals per currency are what they were once the accounts were open.
  const after = await partners.bank.ledgerTotals();
  expect(after.balanced).toBe(true);
  // Nothing is left in flight, and the customers' money in all (platform accounts included) is unchanged.
  for (const [currency, totals] of Object.entries(after.currencies)) {
    expect({ currency, total: totals.total, customer: totals.customer, clearing: totals.clearing }).toEqual({
      currency,
      total: opened.currencies[currency].total,
      customer: opened.currencies[currency].customer,
      clearing: 0,
    });
  }
  expect(Object.keys(after.currencies).sort()).toEqual(Object.keys(before.currencies).sort());

  // Every instance's history chain verifies.
  const history = await query(h.db.dataSource, 'SELECT * FROM workflow_history ORDER BY workflow_id, seq');
  let prev: { id: string; hash: string } | undefined;
  let broken = 0;
  for (const row of history) {
    const { hash, ...record } = recordFromRow(row);
    if (hashRecord(record) !== hash || record.prevHash !== (prev?.id === record.workflowId ? prev.hash : GENESIS_HASH)) broken++;
    prev = { id: record.workflowId, hash };
  }
  expect(broken).toBe(0);
}, 300_000);
