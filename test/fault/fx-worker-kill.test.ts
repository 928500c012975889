import type { ChildProcess } from 'node:child_process';
import { seedDemoAccounts } from '../../machines/shared/demo-accounts';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { REDIS_URL, waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { freePort, startMainProcess, stopProcess } from '../support/processes';

// The worker executing a payment's FX quote is SIGKILLed after the partner applied the execution
// and before its answer came back. Another worker takes the job over once the lock lapses: it
// must find the deal and go on with it, never execute a second quote. With the defaults that take-over
// comes 30-45 s later: longer than the quote stays valid at the partner.

let api: HttpHarness;
let sandbox: RunningSandbox;
let partners: SandboxClient;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5_000 });
  await seedDemoAccounts(partners);
  api = await startHttpApp('fx_kill', [], { env: { ROLE: 'api', PARTNERS_URL: sandbox.url } });
}, 60_000);

afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  await api?.close();
  await sandbox?.close();
});

async function startWorker(): Promise<ChildProcess> {
  const metricsPort = await freePort();
  const { child, output } = startMainProcess({
    ROLE: 'worker',
    DATABASE_URL: api.db.url,
    REDIS_URL,
    QUEUE_PREFIX: api.prefix,
    SANDBOX: 'false',
    PARTNERS_URL: sandbox.url,
    METRICS_PORT: String(metricsPort),
    // The defaults (a 30 s lock, a stalled check every 15 s): the quote's old 30 s validity timer
    // lapsed before the job was taken over, and a second quote was executed.
    SWEEP_INTERVAL_MS: '500',
    PROCESS_CONFIG: JSON.stringify({ 'payment-settlement': { settlementTimeoutMs: 500 } }),
    LOG_LEVEL: 'warn',
  });
  children.push(child);
  // A worker answers /health on its metrics port once it runs.
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the worker exited: ${output()}`);
    return (await fetch(`http://127.0.0.1:${metricsPort}/health`).catch(() => undefined))?.ok;
  }, 'the worker to start', 60_000, 200);
  return child;
}

test('a worker killed after the FX partner executed the quote: the next worker adopts the deal, one deal in all', async () => {
  const paymentId = 'fx-kill-1';
  await partners.bank.openAccount({ id: `${paymentId}-debtor`, initialBalance: { value: 1_000_000, currency: 'EUR' } }, { idempotencyKey: `open-${paymentId}-d` });
  await partners.bank.openAccount({ id: `${paymentId}-creditor`, initialBalance: { value: 0, currency: 'USD' } }, { idempotencyKey: `open-${paymentId}-c` });
  await partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: paymentId, path: '/fraud/scores' }, outcome: 'ok', body: { score: 10 } }]);
  // Applied, then the call hangs: the worker running it is killed while it waits for the answer.
  await partners.admin.script('fx', [{ match: { idempotencyKeyPrefix: paymentId, path: '/fx/quotes/:id/execute' }, outcome: 'timeout', applied: true, hangMs: 60_000 }]);

  const doomed = await startWorker();
  const started = await api.request('POST', '/v1/workflows', {
    type: 'payment-settlement',
    workflowId: paymentId,
    input: { paymentId, debtorAccount: `${paymentId}-debtor`, creditorAccount: `${paymentId}-creditor`, amount: { value: 50_000, currency: 'EUR' }, creditorCurrency: 'USD' },
  });
  expect(started.status).toBe(201);
  // The execution reached the partner (and was applied) while the worker waits for its answer.
  const quoteId = await waitFor(async () => {
    const w = (await api.request('GET', `/v1/workflows/${paymentId}`)).body;
    if (w.state !== 'executingFx') return undefined;
    const quote = await partners.fx.getQuote(w.context.quoteId);
    return quote.status === 'executed' ? quote.id : undefined;
  }, 'the quote to be executed at the partner', 60_000, 100);
  await stopProcess(doomed, 'SIGKILL');
  expect(doomed.signalCode).toBe('SIGKILL');

  await startWorker();
  const done = await waitFor(async () => {
    const w = (await api.request('GET', `/v1/workflows/${paymentId}`)).body;
    return ['completed', 'failed', 'cancelled'].includes(w.status) ? w : undefined;
  }, 'the payment to end', 90_000, 250);
  expect(done.output).toMatchObject({ outcome: 'settled' });
  expect(done.context.quoteId).toBe(quoteId);
  expect(done.context.quoteAttempts).toBe(1);
  // One deal: the only quote is the one executed before the kill, and the creditor got its proceeds once.
  const history = (await api.request('GET', `/v1/workflows/${paymentId}/history`)).body.items;
  expect(history.filter((r: any) => r.kind === 'activity.completed' && r.event?.type === 'xstate.done.actor.requestQuote')).toHaveLength(1);
  expect((await partners.bank.getAccount(`${paymentId}-creditor`)).balance.value).toBe(done.context.payout.value);
}, 180_000);
