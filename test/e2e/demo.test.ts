import { runDemo } from '../../src/demo/run-demo';
import type { SandboxClient } from '../../src/sandbox/client';
import type { HttpHarness } from '../support/http-app';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';

let app: ProcessesApp;
let partners: SandboxClient;
let api: HttpHarness;

beforeAll(async () => {
  app = await startProcessesApp('demo', { 'trade-execution': { settlementLagMs: 1000 } });
  ({ api, partners } = app);
}, 60_000);

afterAll(() => app?.close());

test('the demo drives a quarter-scale mix to its ends against the real app, with the ledger balanced', async () => {
  const lines: string[] = [];
  // The demo works as an operator: it starts, signals and reads history, nothing more.
  const apiKey = await api.createKey({ id: 'demo-operator', roles: ['operator'] });
  const reviewerKeys = [
    await api.createKey({ id: 'demo-reviewer-1', roles: ['reviewer'], groups: ['underwriters', 'fraud-analysts'] }),
    await api.createKey({ id: 'demo-reviewer-2', roles: ['reviewer'], groups: ['underwriters', 'compliance'] }),
    await api.createKey({ id: 'demo-reviewer-3', roles: ['reviewer'], groups: ['underwriters'] }),
  ];
  // Usually done in 20-40 s; a payment whose validation draws several bank faults in a row
  // backs off for up to 55 s before it fails (ten attempts), so the bound leaves room for that.
  const result = await runDemo({ apiUrl: api.url, apiKey, reviewerKeys, partnersUrl: app.sandbox.url, scale: 0.25, timeoutMs: 100_000, write: (t) => void lines.push(t) });

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
}, 130_000);
