import { PartnerRejectedError, PartnerUnavailableError, SandboxClient, type Money } from '../../src/sandbox/client';
import { problemType } from '../../src/partners/problem-types';
import { mulberry32 } from '../../src/sandbox/random';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';

/**
 * Property-style check: hundreds of seeded random operations under random errors and
 * timeouts (half of them after the effect was applied). Every operation is retried with its
 * own key until a definitive answer, and a shadow model applies each success exactly once.
 * Any double application, lost refusal or unbalanced posting makes the final comparison fail.
 */

let sandbox: RunningSandbox;
let client: SandboxClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  client = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 2_000 });
});
afterAll(() => sandbox.close());

type Outcome<T> = { ok: true; value: T } | { ok: false; error: PartnerRejectedError };

interface ModelAccount {
  currency: string;
  balance: number;
  held: number;
}

it('keeps every balance, the totals and the posting count exact after random faulted operations', async () => {
  const rng = mulberry32(20_240_611);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)];
  const model = new Map<string, ModelAccount>();
  const holds = new Map<string, { accountId: string; amount: Money; active: boolean }>();
  const transfers = new Map<string, { from: string; to: string; amount: Money; reversed: boolean }>();
  const counts = { definitiveSuccesses: 0, postings: 0, unavailable: 0 };
  const initial: Record<string, [string, number]> = {
    a1: ['EUR', 100_000], a2: ['EUR', 50_000], a3: ['EUR', 20_000], a4: ['EUR', 0], g1: ['GBP', 30_000], g2: ['GBP', 5_000],
  };

  await client.admin.reset();
  for (const [id, [currency, value]] of Object.entries(initial)) {
    await client.bank.openAccount({ id, initialBalance: { value, currency } }, { idempotencyKey: `open-${id}` });
    model.set(id, { currency, balance: value, held: 0 });
    counts.postings += value > 0 ? 1 : 0;
  }
  await client.admin.setFaults('bank', { errorRate: 0.15, timeoutRate: 0.2, timeoutAppliedRate: 0.5, hangMs: 5, seed: 99 });

  const definitive = async <T>(call: () => Promise<T>): Promise<Outcome<T>> => {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        const value = await call();
        counts.definitiveSuccesses++;
        return { ok: true, value };
      } catch (err) {
        if (err instanceof PartnerRejectedError) return { ok: false, error: err };
        if (!(err instanceof PartnerUnavailableError)) throw err;
        counts.unavailable++;
      }
    }
    throw new Error('no definitive answer after 50 attempts');
  };
  const available = (id: string): number => model.get(id)!.balance - model.get(id)!.held;
  const expectRefusal = (outcome: Outcome<unknown>, slug: 'insufficient-funds' | 'hold-not-active' | 'transfer-not-reversible'): void => {
    expect(outcome.ok ? 'applied' : outcome.error.type).toBe(problemType(slug));
  };

  for (let i = 0; i < 300; i++) {
    const idempotencyKey = `op-${i}`;
    const op = rng();
    const from = pick([...model.keys()]);
    const peers = [...model.keys()].filter((id) => id !== from && model.get(id)!.currency === model.get(from)!.currency);
    const amount = { value: 1 + Math.floor(rng() * 40_000), currency: model.get(from)!.currency };

    if (op < 0.4) {
      const to = pick(peers);
      const r = await definitive(() => client.bank.createTransfer({ from, to, amount }, { idempotencyKey }));
      if (available(from) < amount.value) expectRefusal(r, 'insufficient-funds');
      else {
        expect(r.ok).toBe(true);
        if (r.ok) transfers.set(r.value.id, { from, to, amount, reversed: false });
        model.get(from)!.balance -= amount.value;
        model.get(to)!.balance += amount.value; // settlement delay is 0: settled before any later operation
        counts.postings += 2;
      }
    } else if (op < 0.6) {
      const r = await definitive(() => client.bank.createHold({ accountId: from, amount }, { idempotencyKey }));
      if (available(from) < amount.value) expectRefusal(r, 'insufficient-funds');
      else {
        expect(r.ok).toBe(true);
        if (r.ok) holds.set(r.value.id, { accountId: from, amount, active: true });
        model.get(from)!.held += amount.value;
      }
    } else if (op < 0.85 && holds.size > 0) {
      const [holdId, hold] = pick([...holds.entries()]);
      const owner = model.get(hold.accountId)!;
      if (rng() < 0.5) {
        const r = await definitive(() => client.bank.releaseHold(holdId, { idempotencyKey }));
        if (!hold.active) expectRefusal(r, 'hold-not-active');
        else {
          expect(r.ok).toBe(true);
          owner.held -= hold.amount.value;
          hold.active = false;
        }
      } else {
        const to = pick([...model.keys()].filter((id) => id !== hold.accountId && model.get(id)!.currency === owner.currency));
        const part = { value: Math.max(1, Math.floor(hold.amount.value * rng())), currency: owner.currency };
        const r = await definitive(() => client.bank.captureHold(holdId, { toAccountId: to, amount: part }, { idempotencyKey }));
        if (!hold.active) expectRefusal(r, 'hold-not-active');
        else {
          expect(r.ok).toBe(true);
          owner.held -= hold.amount.value;
          owner.balance -= part.value;
          model.get(to)!.balance += part.value;
          hold.active = false;
          counts.postings += 1;
        }
      }
    } else if (transfers.size > 0) {
      const [transferId, t] = pick([...transfers.entries()]);
      const r = await definitive(() => client.bank.reverseTransfer(transferId, {}, { idempotencyKey }));
      if (t.reversed) expectRefusal(r, 'transfer-not-reversible');
      else if (available(t.to) < t.amount.value) expectRefusal(r, 'insufficient-funds');
      else {
        expect(r.ok).toBe(true);
        model.get(t.to)!.balance -= t.amount.value;
        model.get(t.from)!.balance += t.amount.value;
        t.reversed = true;
        counts.postings += 1;
      }
    }
  }

  const stats = (await client.admin.stats()).partners.bank;
  await client.admin.clearFaults('bank');

  // The faults really happened, including "applied, then the answer was lost".
  expect(counts.unavailable).toBeGreaterThan(50);
  expect(stats.injectedErrors).toBeGreaterThan(20);
  expect(stats.injectedTimeouts).toBeGreaterThan(20);
  expect(stats.replays).toBeGreaterThan(10);
  // One applied effect per operation the client saw succeed, plus the account openings.
  expect(stats.effectsApplied).toBe(counts.definitiveSuccesses + Object.keys(initial).length);

  for (const [id, m] of model) {
    const account = await client.bank.getAccount(id);
    expect({ id, balance: account.balance.value, held: account.held.value }).toEqual({ id, balance: m.balance, held: m.held });
    expect(account.available.value).toBeGreaterThanOrEqual(0);
  }
  const totals = await client.admin.ledgerTotals();
  const customerTotal = (currency: string): number =>
    Object.values(initial).filter(([c]) => c === currency).reduce((sum, [, v]) => sum + v, 0);
  expect(totals.balanced).toBe(true);
  expect(totals.postings).toBe(counts.postings);
  for (const currency of ['EUR', 'GBP']) {
    expect(totals.currencies[currency]).toMatchObject({ total: 0, customer: customerTotal(currency), clearing: 0 });
  }
});
