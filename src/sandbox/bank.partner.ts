import { z } from 'zod';
import { Ledger } from './bank.ledger';
import { moneySchema, nonNegativeMoneySchema, type Money } from './money';
import { created, get, IdSequence, iso, ok, post, type HandlerContext, type HandlerResult, type PartnerModule } from './partner';
import { notFound, problem } from './problem';

export interface BankOptions {
  /** Delay between submission and settlement of a transfer (default 0: settled on next request). */
  settlementDelayMs?: number;
}

type TransferStatus = 'submitted' | 'settled' | 'failed' | 'reversed';

interface Transfer {
  id: string;
  from: string;
  to: string;
  amount: Money;
  reference?: string;
  /** The originator's own id for this payment instruction (as SEPA's EndToEndId): unique per instruction. */
  endToEndId?: string;
  status: TransferStatus;
  /** Decided at submission (scripts can force 'failed') and revealed at settlement. */
  outcome: 'settled' | 'failed';
  failureReason?: string;
  submittedAt: number;
  settleAt: number;
  settledAt?: number;
  failedAt?: number;
  reversedAt?: number;
}

interface Hold {
  id: string;
  accountId: string;
  amount: Money;
  /** The caller's own id for the hold: what it finds the hold by when every answer was lost. */
  reference?: string;
  status: 'active' | 'released' | 'captured';
  captured?: Money;
  capturedTo?: string;
  createdAt: number;
  closedAt?: number;
}

const idSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');

const openAccountSchema = z.object({ id: idSchema.optional(), owner: z.string().min(1).max(200).optional(), initialBalance: nonNegativeMoneySchema });
const holdSchema = z.object({ accountId: idSchema, amount: moneySchema, reference: z.string().max(140).optional() });
const captureSchema = z.object({ toAccountId: idSchema, amount: moneySchema.optional() });
const transferSchema = z.object({ from: idSchema, to: idSchema, amount: moneySchema, reference: z.string().max(140).optional(), endToEndId: z.string().max(140).optional() });
const reverseSchema = z.object({ reason: z.string().max(140).optional() });
const emptySchema = z.object({});

const overrideSchema = z.strictObject({
  settlement: z.enum(['settled', 'failed']).optional(),
  /** This transfer alone settles this long after submission (a bank slower for one payment). */
  settleAfterMs: z.int().min(0).max(86_400_000).optional(),
  failureReason: z.string().max(140).optional(),
});
const configSchema = z.strictObject({ settlementDelayMs: z.int().min(0).max(86_400_000).optional() });

class BankState {
  readonly ids = new IdSequence();
  readonly ledger = new Ledger(this.ids);
  readonly holds = new Map<string, Hold>();
  readonly transfers = new Map<string, Transfer>();
  /** Submitted transfers in submission order, so settlement is deterministic. */
  pending: Transfer[] = [];
}

export function createBankPartner(options: BankOptions = {}): PartnerModule {
  let state = new BankState();
  let settlementDelayMs = options.settlementDelayMs ?? 0;

  // Settlement is evaluated lazily on every bank request: no timers, so the outcome depends
  // only on the (advanceable) sandbox clock and the order of requests.
  const settleDue = (now: number): void => {
    const { ledger } = state;
    state.pending = state.pending.filter((t) => {
      if (t.status !== 'submitted') return false;
      if (t.settleAt > now) return true;
      const clearing = ledger.system('clearing', t.amount.currency, now).id;
      if (t.outcome === 'settled') {
        ledger.move(clearing, t.to, t.amount, 'transfer-settlement', t.id, now);
        Object.assign(t, { status: 'settled', settledAt: now });
      } else {
        ledger.move(clearing, t.from, t.amount, 'transfer-return', t.id, now);
        Object.assign(t, { status: 'failed', failedAt: now });
      }
      return false;
    });
  };

  const withSettlement =
    <B>(fn: (body: B, ctx: HandlerContext) => HandlerResult) =>
    (body: B, ctx: HandlerContext): HandlerResult => {
      settleDue(ctx.now);
      return fn(body, ctx);
    };

  const holdOf = (id: string): Hold => state.holds.get(id) ?? (() => { throw notFound('hold', id); })();
  const transferOf = (id: string): Transfer => state.transfers.get(id) ?? (() => { throw notFound('transfer', id); })();

  const holdView = (h: Hold): Record<string, unknown> => ({
    id: h.id,
    accountId: h.accountId,
    amount: h.amount,
    reference: h.reference ?? null,
    status: h.status,
    captured: h.captured ?? null,
    capturedTo: h.capturedTo ?? null,
    createdAt: iso(h.createdAt),
    closedAt: h.closedAt === undefined ? null : iso(h.closedAt),
  });

  const transferView = (t: Transfer): Record<string, unknown> => ({
    id: t.id,
    from: t.from,
    to: t.to,
    amount: t.amount,
    reference: t.reference ?? null,
    endToEndId: t.endToEndId ?? null,
    status: t.status,
    failureReason: t.status === 'failed' ? (t.failureReason ?? 'beneficiary-bank-rejected') : null,
    submittedAt: iso(t.submittedAt),
    expectedSettlementAt: iso(t.settleAt),
    settledAt: t.settledAt === undefined ? null : iso(t.settledAt),
    failedAt: t.failedAt === undefined ? null : iso(t.failedAt),
    reversedAt: t.reversedAt === undefined ? null : iso(t.reversedAt),
  });

  const closeHold = (hold: Hold, now: number): void => {
    state.ledger.customer(hold.accountId).held -= hold.amount.value;
    hold.closedAt = now;
  };

  const routes = [
    post('/accounts', openAccountSchema, withSettlement((body, { now }) => {
      return created(state.ledger.view(state.ledger.open(body.id, body.owner, body.initialBalance, now)));
    })),
    get('/accounts/:id', (ctx) => {
      settleDue(ctx.now);
      return ok(state.ledger.view(state.ledger.customer(ctx.params.id)));
    }),
    // The account's holds, oldest first: what a reconciliation compares with the payments it knows.
    get('/accounts/:id/holds', (ctx) => {
      const account = state.ledger.customer(ctx.params.id);
      return ok({ items: [...state.holds.values()].filter((h) => h.accountId === account.id).map(holdView) });
    }),
    post('/holds', holdSchema, withSettlement((body, { now }) => {
      const account = state.ledger.customer(body.accountId);
      state.ledger.requireCurrency(account, body.amount);
      state.ledger.requireAvailable(account, body.amount);
      const hold: Hold = { id: state.ids.next('hold'), accountId: account.id, amount: body.amount, reference: body.reference, status: 'active', createdAt: now };
      account.held += body.amount.value;
      state.holds.set(hold.id, hold);
      return created(holdView(hold));
    })),
    get('/holds/:id', (ctx) => ok(holdView(holdOf(ctx.params.id)))),
    // What a caller did, by its own ids, for when every answer it got was lost.
    get('/holds/by-reference/:reference', (ctx) => ok({ items: [...state.holds.values()].filter((h) => h.reference === ctx.params.reference).map(holdView) })),
    get('/transfers/by-end-to-end-id/:endToEndId', (ctx) => {
      settleDue(ctx.now);
      return ok({ items: [...state.transfers.values()].filter((t) => t.endToEndId === ctx.params.endToEndId).map(transferView) });
    }),
    get('/transfers/by-reference/:reference', (ctx) => {
      settleDue(ctx.now);
      return ok({ items: [...state.transfers.values()].filter((t) => t.reference === ctx.params.reference).map(transferView) });
    }),
    post('/holds/:id/release', emptySchema, withSettlement((_body, { params, now }) => {
      const hold = holdOf(params.id);
      if (hold.status !== 'active') throw problem('hold-not-active', `Hold '${hold.id}' is ${hold.status}`);
      closeHold(hold, now);
      hold.status = 'released';
      return ok(holdView(hold));
    })),
    post('/holds/:id/capture', captureSchema, withSettlement((body, { params, now }) => {
      const hold = holdOf(params.id);
      if (hold.status !== 'active') throw problem('hold-not-active', `Hold '${hold.id}' is ${hold.status}`);
      const amount = body.amount ?? hold.amount;
      if (amount.currency !== hold.amount.currency) throw problem('currency-mismatch', `Hold is in ${hold.amount.currency}`);
      if (amount.value > hold.amount.value) throw problem('amount-exceeds-hold', `Hold is for ${hold.amount.value}`);
      if (body.toAccountId === hold.accountId) throw problem('same-account', 'Cannot capture a hold into its own account');
      state.ledger.requireCurrency(state.ledger.customer(body.toAccountId), amount);
      // Validate everything before touching `held`: a refusal must leave no trace.
      closeHold(hold, now);
      state.ledger.move(hold.accountId, body.toAccountId, amount, 'hold-capture', hold.id, now);
      Object.assign(hold, { status: 'captured', captured: amount, capturedTo: body.toAccountId });
      return ok(holdView(hold));
    })),
    post('/transfers', transferSchema, withSettlement((body, { now, override }) => {
      const ov = overrideSchema.parse(override ?? {});
      if (body.from === body.to) throw problem('same-account', 'from and to must differ');
      const from = state.ledger.customer(body.from);
      const to = state.ledger.customer(body.to);
      state.ledger.requireCurrency(from, body.amount);
      state.ledger.requireCurrency(to, body.amount);
      const id = state.ids.next('trf');
      const clearing = state.ledger.system('clearing', body.amount.currency, now);
      state.ledger.move(from.id, clearing.id, body.amount, 'transfer-submission', id, now);
      const transfer: Transfer = {
        id,
        from: from.id,
        to: to.id,
        amount: body.amount,
        reference: body.reference,
        endToEndId: body.endToEndId,
        status: 'submitted',
        outcome: ov.settlement ?? 'settled',
        failureReason: ov.failureReason,
        submittedAt: now,
        settleAt: now + (ov.settleAfterMs ?? settlementDelayMs),
      };
      state.transfers.set(id, transfer);
      state.pending.push(transfer);
      return created(transferView(transfer));
    })),
    get('/transfers/:id', (ctx) => {
      settleDue(ctx.now);
      return ok(transferView(transferOf(ctx.params.id)));
    }),
    post('/transfers/:id/reverse', reverseSchema, withSettlement((_body, { params, now }) => {
      const t = transferOf(params.id);
      if (t.status === 'submitted') {
        // Recalled before settlement: the money never reached the beneficiary.
        state.ledger.move(state.ledger.system('clearing', t.amount.currency, now).id, t.from, t.amount, 'transfer-reversal', t.id, now);
      } else if (t.status === 'settled') {
        state.ledger.move(t.to, t.from, t.amount, 'transfer-reversal', t.id, now);
      } else {
        throw problem('transfer-not-reversible', `Transfer '${t.id}' is ${t.status}`);
      }
      Object.assign(t, { status: 'reversed', reversedAt: now });
      return ok(transferView(t));
    })),
    get('/ledger/totals', (ctx) => {
      settleDue(ctx.now);
      return ok(state.ledger.totals());
    }, { faults: false }),
  ];

  return {
    name: 'bank',
    routes,
    overrideSchema,
    configSchema,
    configure(config) {
      const parsed = configSchema.parse(config);
      if (parsed.settlementDelayMs !== undefined) settlementDelayMs = parsed.settlementDelayMs;
    },
    reset() {
      state = new BankState();
      settlementDelayMs = options.settlementDelayMs ?? 0;
    },
  };
}
