import { fraudCheckDefinition } from '../../machines/fraud-check';
import { kycVerificationDefinition } from '../../machines/kyc-verification';
import { loanApprovalDefinition } from '../../machines/loan-approval';
import { paymentSettlementDefinition } from '../../machines/payment-settlement';
import { tradeExecutionDefinition } from '../../machines/trade-execution';
import { seedDemoAccounts } from '../../machines/shared/demo-accounts';
import { runDemo } from '../../src/demo/run-demo';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startHttpApp, type HttpHarness } from '../support/http-app';

let sandbox: RunningSandbox;
let partners: SandboxClient;
let api: HttpHarness;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5000 });
  await seedDemoAccounts(partners);
  const deps = { partners };
  const fraudCheck = fraudCheckDefinition(deps);
  const kyc = kycVerificationDefinition(deps);
  const payment = paymentSettlementDefinition(deps, {}, { fraudCheck: fraudCheck.machine });
  const loan = loanApprovalDefinition(deps, {}, { kycVerification: kyc.machine, paymentSettlement: payment.machine });
  // The only wait no person or partner can end: T+1 is a second here.
  const trade = tradeExecutionDefinition(deps, { settlementLagMs: 1000 });
  api = await startHttpApp('demo', [], { definitions: [fraudCheck, kyc, payment, loan, trade] });
}, 60_000);

afterAll(async () => {
  await api?.close();
  await sandbox?.close();
});

test('the demo drives a quarter-scale mix to its ends against the real app, with the ledger balanced', async () => {
  const lines: string[] = [];
  // The demo works as an operator: it starts, signals and reads history, nothing more.
  const apiKey = await api.createKey({ id: 'demo-operator', roles: ['operator'] });
  const reviewerKeys = [
    await api.createKey({ id: 'demo-reviewer-1', roles: ['reviewer'], groups: ['underwriters', 'fraud-analysts'] }),
    await api.createKey({ id: 'demo-reviewer-2', roles: ['reviewer'], groups: ['underwriters', 'compliance'] }),
  ];
  const result = await runDemo({ apiUrl: api.url, apiKey, reviewerKeys, partnersUrl: sandbox.url, scale: 0.25, timeoutMs: 40_000, write: (t) => void lines.push(t) });

  expect({ ok: result.ok, reason: result.reason, open: result.open }).toEqual({ ok: true, reason: null, open: [] });
  expect(result.rows.every((r) => ['completed', 'failed', 'cancelled'].includes(r.status))).toBe(true);
  expect(result.rows.reduce((n, r) => n + r.count, 0)).toBe(result.started);
  expect(result.started).toBe(10 + 2 + 3 + 2);
  expect(result.ledger).toMatchObject({ balanced: true, unchanged: true });
  expect(await partners.bank.ledgerTotals()).toMatchObject({ balanced: true });

  // The scripted paths show. Not exact counts: the random bank faults can (rarely) exhaust a
  // payment's validation retries, which fails that payment or the loan disbursing through it.
  const outcomes = (type: string) => result.rows.filter((r) => r.type === type).map((r) => r.outcome);
  expect(outcomes('payment-settlement')).toEqual(expect.arrayContaining(['settled', 'rejected']));
  expect(outcomes('loan-approval')).toContain('disbursed');
  expect(outcomes('kyc-verification')).toEqual(['verified']);
  expect(outcomes('trade-execution')).toEqual(expect.arrayContaining(['settled', 'rejected']));
  expect(result.descendants.childrenByType['fraud-check']).toBeGreaterThanOrEqual(10);
  expect(result.signals.sent).toBeGreaterThan(0);

  // The sandbox is left as found: no faults, none of the run's pinned answers queued.
  expect(await partners.admin.getFaults('bank')).toMatchObject({ errorRate: 0, timeoutRate: 0 });
  for (const partner of ['fraud', 'credit', 'broker'] as const) {
    expect((await partners.admin.getFaults(partner)).script?.filter((e) => e.match?.idempotencyKeyPrefix?.startsWith(result.runId))).toEqual([]);
  }
  // Progress lines while it ran, then the table and the figures.
  expect(lines.some((l) => /^\s*\d+s {2}\d+ running · \d+ waiting · \d+ completed/.test(l))).toBe(true);
  expect(result.report).toMatch(/total\s+17\n/);
  expect(result.report).toMatch(/ledger\s+balanced, per-currency totals unchanged/);
  expect(lines.join('')).toContain(result.report);
}, 60_000);
