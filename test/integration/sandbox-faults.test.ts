import {
  PartnerRejectedError,
  PartnerUnavailableError,
  SandboxClient,
  type Transfer,
} from '../../src/sandbox/client';
import { problemType } from '../../src/partners/problem-types';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';

let sandbox: RunningSandbox;
let client: SandboxClient;
let keySeq = 0;
const key = (label = 'k'): string => `${label}-${++keySeq}`;
const eur = (value: number) => ({ value, currency: 'EUR' });
const TRANSFERS = { method: 'POST' as const, path: '/bank/transfers' };

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  client = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5_000 });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
  await client.bank.openAccount({ id: 'alice', initialBalance: eur(100_00) }, { idempotencyKey: key() });
  await client.bank.openAccount({ id: 'bob', initialBalance: eur(0) }, { idempotencyKey: key() });
});

const balances = async (): Promise<number[]> =>
  Promise.all(['alice', 'bob'].map(async (id) => (await client.bank.getAccount(id)).balance.value));

/** What a workflow activity does: retry transient failures with the same key, each try with its own deadline. */
async function transferWithRetries(idempotencyKey: string, deadlineMs = 600): Promise<{ transfer: Transfer; failures: PartnerUnavailableError[] }> {
  const failures: PartnerUnavailableError[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const transfer = await client.bank.createTransfer(
        { from: 'alice', to: 'bob', amount: eur(30_00) },
        { idempotencyKey, signal: AbortSignal.timeout(deadlineMs) },
      );
      return { transfer, failures };
    } catch (err) {
      if (!(err instanceof PartnerUnavailableError)) throw err;
      failures.push(err);
    }
  }
  throw new Error('never succeeded');
}

describe('scripted faults with the client', () => {
  it('times out twice, then succeeds: exactly one transfer is applied', async () => {
    await client.admin.setFaults('bank', {
      hangMs: 10_000,
      script: [{ match: TRANSFERS, outcome: 'timeout', times: 2 }, { match: TRANSFERS, outcome: 'ok' }],
    });
    const before = (await client.admin.stats()).partners.bank;
    const { transfer, failures } = await transferWithRetries(key('trf'));
    expect(failures.map((f) => [f.name, f.reason, f.retryable])).toEqual([
      ['PartnerUnavailableError', 'timeout', true],
      ['PartnerUnavailableError', 'timeout', true],
    ]);
    expect(transfer.amount).toEqual(eur(30_00));
    expect(await balances()).toEqual([70_00, 30_00]);
    const after = (await client.admin.stats()).partners.bank;
    expect(after.effectsApplied - before.effectsApplied).toBe(1);
    expect(after.injectedTimeouts - before.injectedTimeouts).toBe(2);
    expect(after.replays - before.replays).toBe(0);
    expect((await client.admin.getFaults('bank')).script).toEqual([]);
  });

  it('when the bank applied the transfer but the answer was lost, the retry replays it instead of paying twice', async () => {
    await client.admin.setFaults('bank', {
      hangMs: 10_000,
      script: [
        { match: TRANSFERS, outcome: 'timeout', applied: true },
        { match: TRANSFERS, outcome: 'timeout' },
      ],
    });
    const before = (await client.admin.stats()).partners.bank;
    const { transfer, failures } = await transferWithRetries(key('trf'));
    expect(failures).toHaveLength(2);
    expect(transfer.id).toBe('trf_000001');
    expect(await balances()).toEqual([70_00, 30_00]);
    const after = (await client.admin.stats()).partners.bank;
    expect(after.effectsApplied - before.effectsApplied).toBe(1);
    expect(after.replays - before.replays).toBe(1);
    // A *new* key is a new payment: the first one really happened server-side.
    await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(30_00) }, { idempotencyKey: key() });
    expect(await balances()).toEqual([40_00, 60_00]);
  });

  it('a scripted error never applies the effect; the retry with the same key applies it once', async () => {
    await client.admin.script('bank', [{ match: TRANSFERS, outcome: 'error', status: 503 }]);
    const k = key('trf');
    const err = await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(30_00) }, { idempotencyKey: k }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerUnavailableError);
    expect(err).toMatchObject({ name: 'PartnerUnavailableError', status: 503, reason: 'http', type: problemType('partner-unavailable') });
    expect(await balances()).toEqual([100_00, 0]);
    await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(30_00) }, { idempotencyKey: k });
    expect(await balances()).toEqual([70_00, 30_00]);
    expect((await client.admin.stats()).partners.bank).toMatchObject({ injectedErrors: 1, replays: 0 });
  });

  it('answers a timeout with 504 in 504 mode, and destroys the socket in destroy mode', async () => {
    await client.admin.setFaults('bank', {
      hangMs: 20,
      timeoutMode: '504',
      script: [{ match: { path: '/bank/accounts/:id' }, outcome: 'timeout' }],
    });
    await expect(client.bank.getAccount('alice')).rejects.toMatchObject({ status: 504, reason: 'http', type: problemType('partner-timeout') });
    await client.admin.setFaults('bank', { hangMs: 20, script: [{ match: { path: '/bank/accounts/*' }, outcome: 'timeout' }] });
    await expect(client.bank.getAccount('alice')).rejects.toMatchObject({ name: 'PartnerUnavailableError', reason: 'network', status: undefined });
    expect((await client.bank.getAccount('alice')).balance).toEqual(eur(100_00));
  });

  it('overrides the business answer and lets a test force a 4xx refusal that applies nothing', async () => {
    await client.admin.script('bank', [
      { match: TRANSFERS, outcome: 'error', status: 422, body: { type: problemType('insufficient-funds'), detail: 'forced' } },
    ]);
    const err = await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(1_00) }, { idempotencyKey: key() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 422, type: problemType('insufficient-funds') });
    expect(await balances()).toEqual([100_00, 0]);
  });

  it('injects latency', async () => {
    await client.admin.setFaults('bank', { latencyMs: 150 });
    const started = performance.now();
    await client.bank.getAccount('alice');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await client.admin.clearFaults('bank');
    const again = performance.now();
    await client.bank.getAccount('alice');
    expect(performance.now() - again).toBeLessThan(140);
  });
});

describe('random faults', () => {
  async function pattern(seed: number): Promise<string> {
    await client.admin.setFaults('bank', { errorRate: 0.5, seed });
    let out = '';
    for (let i = 0; i < 24; i++) out += await client.bank.getAccount('alice').then(() => '.', () => 'E');
    return out;
  }

  it('are reproducible from the seed and differ between seeds', async () => {
    const a = await pattern(7);
    expect(a).toMatch(/E/);
    expect(a).toMatch(/\./);
    expect(await pattern(7)).toBe(a);
    expect(await pattern(8)).not.toBe(a);
  });
});

describe('admin API', () => {
  it('validates scripts against the partner when they are set', async () => {
    const bad = await fetch(`${sandbox.url}/admin/partners/fraud/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: [{ outcome: 'ok', body: { score: 250 } }, { match: { path: '/bank/transfers' }, outcome: 'ok' }] }),
    });
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual(['script.0.body.score', 'script.1.match.path']);
    await expect(client.admin.setFaults('kyc', { errorRate: 0.7, timeoutRate: 0.7 })).rejects.toMatchObject({ status: 400 });
    const unknown = await fetch(`${sandbox.url}/admin/partners/atm/faults`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
  });

  it('DELETE faults restores normal service and POST /admin/reset wipes all state', async () => {
    await client.admin.setFaults('bank', { errorRate: 1, script: [{ outcome: 'timeout' }] });
    await client.admin.clearFaults('bank');
    expect((await client.bank.getAccount('alice')).id).toBe('alice');
    await client.admin.reset();
    await expect(client.bank.getAccount('alice')).rejects.toMatchObject({ status: 404, type: problemType('not-found') });
    expect((await client.admin.stats()).partners.bank).toMatchObject({ received: 1, effectsApplied: 0 });
  });
});

describe('client transport errors', () => {
  it('reports a network error as retryable when nothing listens', async () => {
    const gone = await startSandbox({ port: 0 });
    await gone.close();
    const orphan = new SandboxClient({ baseUrl: gone.url, timeoutMs: 2_000 });
    await expect(orphan.bank.getAccount('alice')).rejects.toMatchObject({ name: 'PartnerUnavailableError', reason: 'network', retryable: true });
  });

  it('rethrows a caller cancellation that is not a timeout instead of calling it a partner failure', async () => {
    await client.admin.setFaults('bank', { hangMs: 10_000, script: [{ outcome: 'timeout' }] });
    const controller = new AbortController();
    const pending = client.bank.getAccount('alice', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('workflow cancelled')), 50);
    await expect(pending).rejects.toThrow('workflow cancelled');
  });
});

describe('scripts scoped to one workflow', () => {
  test('an entry with idempotencyKeyPrefix applies only to requests whose key starts with it', async () => {
    const sandbox = await startSandbox({ port: 0 });
    try {
      const client = new SandboxClient({ baseUrl: sandbox.url });
      await client.admin.script('credit', [{ match: { idempotencyKeyPrefix: 'wf-b/' }, outcome: 'ok', body: { score: 301 } }]);
      const a = await client.credit.report({ applicantId: 'same' }, { idempotencyKey: 'wf-a/credit/1' });
      const b = await client.credit.report({ applicantId: 'same' }, { idempotencyKey: 'wf-b/credit/1' });
      expect(b.score).toBe(301);
      expect(a.score).not.toBe(301);
    } finally {
      await sandbox.close();
    }
  });
});
