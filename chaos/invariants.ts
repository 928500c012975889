import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { ownId } from '../machines/payment-settlement/payment-settlement.activities';
import { mapLimit } from '../src/demo/api';
import type { LedgerTotals, SandboxClient } from '../src/sandbox/client';
import { verifyChains } from '../src/audit/chain-verifier';
import type { Managed } from './cluster';
import type { PlannedPayment } from './workload';

export const PROPERTIES = [
  'every acknowledged start exists and ends',
  'no money moved twice at the bank',
  'no money moved twice at FX',
  'every settled payment moved exactly its amounts, every other one nothing',
  'the ledger balances per currency',
  'every chain verifies',
  'nothing is left pending',
  'no project process exited by itself',
] as const;
export type Property = (typeof PROPERTIES)[number];
export type Violations = Record<Property, string[]>;

export interface CheckInput {
  db: Client;
  /** For the shipped chain verifier, which reads through TypeORM. */
  dataSource: DataSource;
  partners: SandboxClient;
  payments: readonly PlannedPayment[];
  acknowledged: ReadonlySet<string>;
  /** The bank's totals once every account was open, before the first payment. */
  opened: LedgerTotals;
  processes: readonly Managed[];
}

const ENDED = new Set(['completed', 'failed', 'cancelled', 'terminated']);

/**
 * The standing invariants, each checked from the outside: the database's rows, the partners'
 * books (asked through their own lookups), the shipped chain verifier, the processes' exits.
 * Every check lists what it found wrong; an empty list is a pass.
 */
export async function checkInvariants(input: CheckInput): Promise<Violations> {
  const v = Object.fromEntries(PROPERTIES.map((p) => [p, [] as string[]])) as Violations;
  const { db, partners } = input;

  const { rows } = await db.query<{ id: string; type: string; status: string; output: { outcome?: string } | null; payout: { value: number; currency: string } | null }>(
    `SELECT id, type, status, output, snapshot->'context'->'payout' AS payout FROM workflow_instance`,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of input.acknowledged) {
    const row = byId.get(id);
    if (!row) v['every acknowledged start exists and ends'].push(`${id}: acknowledged, not in the database`);
  }
  for (const r of rows) if (!ENDED.has(r.status)) v['every acknowledged start exists and ends'].push(`${r.id} (${r.type}): ${r.status}`);

  await mapLimit(input.payments, 16, async (p) => {
    const row = byId.get(p.workflowId);
    const settled = row?.output?.outcome === 'settled';
    const [holds, transfers, quotes, debtor, creditor] = await Promise.all([
      partners.bank.accountHolds(p.debtorAccount),
      partners.bank.findTransfers(ownId(p.workflowId, 'payout')),
      partners.fx.findQuotes(ownId(p.workflowId, 'fx')),
      partners.bank.getAccount(p.debtorAccount),
      partners.bank.getAccount(p.creditorAccount),
    ]);
    const captured = holds.items.filter((h) => h.status === 'captured');
    const live = transfers.items.filter((t) => t.status === 'submitted' || t.status === 'settled');
    if (captured.length > 1 || live.length > 1) v['no money moved twice at the bank'].push(`${p.workflowId}: ${captured.length} holds captured, ${live.length} payouts not failed or reversed`);
    const deals = quotes.items.filter((q) => q.status === 'executed');
    if (deals.length > 1) v['no money moved twice at FX'].push(`${p.workflowId}: ${deals.length} deals executed and not reversed (${deals.map((d) => d.id).join(', ')})`);
    const fx = p.creditorCurrency !== p.amount.currency;
    if (settled && fx && deals.length !== 1) v['no money moved twice at FX'].push(`${p.workflowId}: settled with ${deals.length} deals`);
    if (!settled && deals.length > 0) v['no money moved twice at FX'].push(`${p.workflowId}: ${row?.output?.outcome ?? row?.status ?? 'missing'} with a deal not unwound (${deals[0].id})`);

    const payout = settled ? (row?.payout?.value ?? 0) : 0;
    const expected = { debtor: settled ? p.opening - p.amount.value : p.opening, held: 0, creditor: payout };
    const actual = { debtor: debtor.balance.value, held: debtor.held.value, creditor: creditor.balance.value };
    const wrongDeal = settled && fx && deals.length === 1 && deals[0].converted.value !== payout;
    if (JSON.stringify(expected) !== JSON.stringify(actual) || (settled && payout <= 0) || wrongDeal) {
      v['every settled payment moved exactly its amounts, every other one nothing'].push(
        `${p.workflowId} ${row?.output?.outcome ?? row?.status ?? 'missing'}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}${wrongDeal ? `, deal bought ${deals[0].converted.value}` : ''}`,
      );
    }
  });

  const after = await partners.bank.ledgerTotals();
  if (!after.balanced) v['the ledger balances per currency'].push('a posting does not balance');
  for (const currency of new Set([...Object.keys(after.currencies), ...Object.keys(input.opened.currencies)])) {
    const now = after.currencies[currency];
    const then = input.opened.currencies[currency];
    if (!now || !then || now.total !== then.total || now.customer !== then.customer || now.clearing !== 0) {
      v['the ledger balances per currency'].push(`${currency}: was ${JSON.stringify(then ?? null)}, now ${JSON.stringify(now ?? null)}`);
    }
  }

  const report = await verifyChains(input.dataSource);
  if (!report.verified) v['every chain verifies'].push(`${report.instances} instances, ${report.records} records; first failure ${JSON.stringify(report.firstFailure)}`);

  const [pending] = (
    await db.query(`SELECT
      (SELECT count(*) FROM outbox WHERE dispatched_at IS NULL)::int AS outbox,
      (SELECT count(*) FROM activity WHERE status = 'scheduled')::int AS activities,
      (SELECT count(*) FROM timer WHERE status = 'scheduled')::int AS timers,
      (SELECT count(*) FROM effect WHERE status = 'pending')::int AS effects,
      (SELECT count(*) FROM human_task WHERE status = 'open')::int AS tasks,
      (SELECT count(*) FROM incident WHERE status = 'open')::int AS incidents`)
  ).rows;
  for (const [what, n] of Object.entries(pending)) if (n !== 0) v['nothing is left pending'].push(`${n} ${what}`);

  for (const m of input.processes) v['no project process exited by itself'].push(...m.unexpectedExits);
  return v;
}

export const failed = (v: Violations): Property[] => PROPERTIES.filter((p) => v[p].length > 0);
