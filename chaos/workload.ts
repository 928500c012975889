import { seedDemoAccounts } from '../machines/shared/demo-accounts';
import { ApiError, mapLimit, StateraApi } from '../src/demo/api';
import { Driver } from '../src/demo/driver';
import type { PlannedWorkflow } from '../src/demo/scenarios';
import type { Money, SandboxClient } from '../src/sandbox/client';
import type { ScriptEntry } from '../src/sandbox/faults';
import { sleep } from './cluster';

export { mulberry32 as rng } from '../src/sandbox/random';

/** What one payment of the run is, and what the run's people and partners will do to it. */
export interface PlannedPayment {
  workflowId: string;
  debtorAccount: string;
  creditorAccount: string;
  opening: number;
  amount: Money;
  creditorCurrency: string;
  /** The fraud score the scorer gives it: < 40 passes, > 75 is declined, between goes to an analyst. */
  score: number;
  review?: 'approve' | 'decline';
  /** The bank settles its payout as failed. */
  payoutFails: boolean;
  /** The customer cancels this long after the start was acknowledged: 0-4 s or 4-40 s. */
  cancelAfterMs?: number;
}

export const OPENING = 1_000_000;

export function planPayments(count: number, random: () => number): PlannedPayment[] {
  return Array.from({ length: count }, (_, i) => {
    const workflowId = `pay-${String(i + 1).padStart(5, '0')}`;
    const r = random();
    const creditorCurrency = r < 0.25 ? 'USD' : r < 0.35 ? 'GBP' : 'EUR';
    const s = random();
    const score = s < 0.72 ? 10 : s < 0.77 ? 95 : 55;
    const poor = random() < 0.04;
    return {
      workflowId,
      debtorAccount: `${workflowId}-debtor`,
      creditorAccount: `${workflowId}-creditor`,
      opening: poor ? 500 : OPENING,
      amount: { value: 1_000 + Math.floor(random() * 90_000), currency: 'EUR' },
      creditorCurrency,
      score,
      review: score === 55 ? (random() < 0.7 ? 'approve' : 'decline') : undefined,
      payoutFails: random() < 0.05,
      // Half early (before the payout, mostly), half later (FX, the payout at the bank, or ended).
      cancelAfterMs: random() < 0.08 ? (random() < 0.5 ? Math.floor(random() * 4000) : 4000 + Math.floor(random() * 36_000)) : undefined,
    };
  });
}

/** Opens each payment's two accounts and pins what the scorer and the bank answer for it. */
export async function preparePartners(partners: SandboxClient, payments: readonly PlannedPayment[]): Promise<void> {
  await seedDemoAccounts(partners);
  await mapLimit(payments, 16, async (p) => {
    await partners.bank.openAccount({ id: p.debtorAccount, initialBalance: { value: p.opening, currency: 'EUR' } }, { idempotencyKey: `open-${p.debtorAccount}` });
    await partners.bank.openAccount({ id: p.creditorAccount, initialBalance: { value: 0, currency: p.creditorCurrency } }, { idempotencyKey: `open-${p.creditorAccount}` });
  });
  // A payment's partner calls carry keys that start with its id: `<id>/…` for its own, `<id>:…` for its fraud check.
  const fraud: ScriptEntry[] = payments.map((p) => ({ match: { method: 'POST', path: '/fraud/scores', idempotencyKeyPrefix: `${p.workflowId}:` }, outcome: 'ok', body: { score: p.score } }));
  const bank: ScriptEntry[] = payments
    .filter((p) => p.payoutFails)
    .map((p) => ({ match: { method: 'POST', path: '/bank/transfers', idempotencyKeyPrefix: `${p.workflowId}/` }, outcome: 'ok', body: { settlement: 'failed', failureReason: 'beneficiary account closed' } }));
  for (let i = 0; i < fraud.length; i += 5000) await partners.admin.script('fraud', fraud.slice(i, i + 5000));
  for (let i = 0; i < bank.length; i += 5000) await partners.admin.script('bank', bank.slice(i, i + 5000));
  // The bank settles a payout after a second; a payment that hears nothing asks after its own timeout.
  await partners.admin.configure('bank', { settlementDelayMs: 1000 });
}

/** The run's principals, made by the bootstrap admin: an operator who starts and repairs, two fraud analysts. */
export async function makePrincipals(apiUrl: string, adminKey: string): Promise<{ operator: string; reviewers: string[] }> {
  const issue = async (id: string, roles: string[], groups: string[] = []): Promise<string> => {
    const res = await fetch(`${apiUrl}/v1/admin/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ principal: { id, displayName: id, roles, groups } }),
    });
    const body = (await res.json()) as { key?: string; detail?: string };
    if (!res.ok || !body.key) throw new Error(`could not create principal ${id}: ${res.status} ${body.detail ?? ''}`);
    return body.key;
  };
  return {
    operator: await issue('chaos-ops', ['operator']),
    reviewers: [await issue('chaos-analyst-1', ['reviewer'], ['fraud-analysts']), await issue('chaos-analyst-2', ['reviewer'], ['fraud-analysts'])],
  };
}

const transient = (err: unknown) => !(err instanceof ApiError) || err.status === 429 || err.status >= 500;

/** Calls `fn` until it answers or fails for good; network errors and 5xx (and what `also` names) are tried again. */
async function persist<T>(fn: () => Promise<T>, budgetMs: number, also: (err: unknown) => boolean = () => false): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(transient(err) || also(err)) || Date.now() > deadline) throw err;
      await sleep(Math.min(2000, 100 * attempt));
    }
  }
}

export interface WorkloadStats {
  acknowledged: Map<string, number>;
  unacknowledged: string[];
  startAttemptsFailed: number;
  cancelsSent: number;
  cancelsRefused: number;
}

/**
 * The users of the run: starts spread over `spreadMs` (at most 32 in flight, each retried with
 * its Idempotency-Key until the API acknowledges it), cancels at their planned time, and the
 * demo's driver answering settlement callbacks and fraud reviews as the bank and analysts would.
 */
export class Workload {
  readonly stats: WorkloadStats = { acknowledged: new Map(), unacknowledged: [], startAttemptsFailed: 0, cancelsSent: 0, cancelsRefused: 0 };
  private readonly roots: PlannedWorkflow[] = [];
  readonly driver: Driver;
  private readonly pending: Promise<void>[] = [];
  private readonly stopDriving = new AbortController();
  private driving: Promise<void> | undefined;

  constructor(
    private readonly api: StateraApi,
    partners: SandboxClient,
    reviewers: StateraApi[],
    private readonly payments: readonly PlannedPayment[],
  ) {
    this.driver = new Driver(api, partners, this.roots, reviewers);
  }

  input(p: PlannedPayment) {
    return { paymentId: p.workflowId, debtorAccount: p.debtorAccount, creditorAccount: p.creditorAccount, amount: p.amount, creditorCurrency: p.creditorCurrency };
  }

  /** Starts every payment over `spreadMs`; resolves when each start was acknowledged or gave up. */
  async submit(spreadMs: number): Promise<void> {
    const gap = this.payments.length > 1 ? spreadMs / this.payments.length : 0;
    const t0 = Date.now();
    const inFlight = new Set<Promise<void>>();
    this.driving ??= this.drive();
    for (const [i, p] of this.payments.entries()) {
      const due = t0 + i * gap;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight.size >= 32) await Promise.race(inFlight);
      const task = this.startOne(p).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    await Promise.all(inFlight);
  }

  private async startOne(p: PlannedPayment): Promise<void> {
    try {
      await persist(async () => {
        try {
          return await this.api.start({ type: 'payment-settlement', workflowId: p.workflowId, input: this.input(p) }, p.workflowId);
        } catch (err) {
          this.stats.startAttemptsFailed++;
          throw err;
        }
      }, 240_000, (err) => err instanceof ApiError && err.status === 409); // 409: the same start still in progress
    } catch {
      this.stats.unacknowledged.push(p.workflowId);
      return;
    }
    this.stats.acknowledged.set(p.workflowId, Date.now());
    this.roots.push({ type: 'payment-settlement', workflowId: p.workflowId, scenario: 'chaos', input: this.input(p), plan: p.review ? { review: p.review } : {} });
    if (p.cancelAfterMs !== undefined) this.pending.push(this.cancelLater(p.workflowId, p.cancelAfterMs));
  }

  private async cancelLater(id: string, afterMs: number): Promise<void> {
    await sleep(afterMs);
    try {
      await persist(() => this.api.cancel(id, 'customer withdrew the payment'), 240_000);
      this.stats.cancelsSent++;
    } catch (err) {
      // 409: it had ended, or its state refuses a cancel (the payout is at the bank); both are answers.
      if (err instanceof ApiError && err.status === 409) this.stats.cancelsRefused++;
      else throw err;
    }
  }

  /** One pass of the driver over the open payments, again and again until `stop()`. */
  private async drive(): Promise<void> {
    while (!this.stopDriving.signal.aborted) {
      await this.driver.drive(0);
      await sleep(250);
    }
  }

  /** Waits for the planned cancels; the driver keeps answering until `stop()`. */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }

  async stop(): Promise<void> {
    this.stopDriving.abort();
    await this.driving;
  }
}
