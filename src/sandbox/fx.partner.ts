import { z } from 'zod';
import { CURRENCY_EXPONENT, currencySchema, money, moneySchema, type Money } from './money';
import { created, get, IdSequence, iso, ok, post, type PartnerModule } from './partner';
import { notFound, problem } from './problem';

export interface FxOptions {
  /** Lifetime of a quote (default 30 s). */
  quoteTtlMs?: number;
}

/** Units of each currency per 1 USD. Fixed so that converted amounts are predictable in tests. */
export const USD_RATES: Readonly<Record<string, number>> = {
  USD: 1, EUR: 0.92, GBP: 0.79, CHF: 0.88, JPY: 151.25, CAD: 1.36, AUD: 1.52, SEK: 10.45,
  NOK: 10.6, DKK: 6.87, PLN: 3.98, CZK: 23.1, HUF: 360.5, KWD: 0.307, BHD: 0.376,
};

interface Quote {
  id: string;
  sell: Money;
  buy: Money;
  rate: number;
  /** The caller's own id for what the deal is for (a payment's), so it can find its deals after every answer was lost. */
  reference?: string;
  createdAt: number;
  expiresAt: number;
  executionId?: string;
  executedAt?: number;
  /** An executed deal unwound (the opposite deal at the same rate): the payment it was for did not go ahead. */
  reversedAt?: number;
}

const quoteSchema = z
  .object({ from: currencySchema, to: currencySchema, amount: moneySchema, reference: z.string().min(1).max(140).optional() })
  .refine((q) => q.from !== q.to, { message: 'from and to must differ', path: ['to'] })
  .refine((q) => q.amount.currency === q.from, { message: 'amount must be expressed in the `from` currency', path: ['amount', 'currency'] });

const overrideSchema = z.strictObject({ rate: z.number().positive().optional() });
const configSchema = z.strictObject({ quoteTtlMs: z.int().min(0).max(86_400_000).optional() });

export function crossRate(from: string, to: string): number {
  return Number((USD_RATES[to] / USD_RATES[from]).toFixed(6));
}

/** Converts minor units across currencies with different exponents, rounding half away from zero. */
export function convert(amount: Money, to: string, rate: number): Money {
  const scale = 10 ** (CURRENCY_EXPONENT[to] - CURRENCY_EXPONENT[amount.currency]);
  return money(Math.round(amount.value * rate * scale), to);
}

export function createFxPartner(options: FxOptions = {}): PartnerModule {
  let ids = new IdSequence();
  let quotes = new Map<string, Quote>();
  let ttlMs = options.quoteTtlMs ?? 30_000;

  const quoteOf = (id: string): Quote => {
    const q = quotes.get(id);
    if (!q) throw notFound('quote', id);
    return q;
  };

  const view = (q: Quote, now: number): Record<string, unknown> => ({
    id: q.id,
    from: q.sell.currency,
    to: q.buy.currency,
    amount: q.sell,
    converted: q.buy,
    rate: q.rate,
    reference: q.reference ?? null,
    status: q.reversedAt !== undefined ? 'reversed' : q.executedAt !== undefined ? 'executed' : now >= q.expiresAt ? 'expired' : 'open',
    createdAt: iso(q.createdAt),
    expiresAt: iso(q.expiresAt),
    executionId: q.executionId ?? null,
    reversedAt: q.reversedAt === undefined ? null : iso(q.reversedAt),
  });

  return {
    name: 'fx',
    overrideSchema,
    configSchema,
    routes: [
      post('/quotes', quoteSchema, (body, { now, override }) => {
        const rate = overrideSchema.parse(override ?? {}).rate ?? crossRate(body.from, body.to);
        const quote: Quote = {
          id: ids.next('fxq'),
          sell: body.amount,
          buy: convert(body.amount, body.to, rate),
          rate,
          reference: body.reference,
          createdAt: now,
          expiresAt: now + ttlMs,
        };
        if (quote.buy.value <= 0) throw problem('validation-error', 'Amount converts to nothing', { errors: [{ path: 'amount.value', message: 'too small to convert' }] });
        quotes.set(quote.id, quote);
        return created(view(quote, now));
      }),
      get('/quotes/:id', ({ params, now }) => ok(view(quoteOf(params.id), now))),
      // Every quote (and so every deal) made for one reference, oldest first.
      get('/quotes/by-reference/:reference', ({ params, now }) => ok({ items: [...quotes.values()].filter((q) => q.reference === params.reference).map((q) => view(q, now)) })),
      post('/quotes/:id/execute', z.object({}), (_body, { params, now }) => {
        const q = quoteOf(params.id);
        if (q.executedAt !== undefined) throw problem('quote-already-executed', `Quote '${q.id}' was executed as ${q.executionId}`);
        // Expiry is inclusive: at exactly expiresAt the price is no longer guaranteed.
        if (now >= q.expiresAt) throw problem('quote-expired', `Quote '${q.id}' expired at ${iso(q.expiresAt)}`, { expiresAt: iso(q.expiresAt) });
        q.executionId = ids.next('fxe');
        q.executedAt = now;
        return ok({ id: q.executionId, quoteId: q.id, sold: q.sell, bought: q.buy, rate: q.rate, executedAt: iso(now) });
      }),
      // Unwinds an executed deal at its own rate. Reversing a reversed deal answers the same (safe to repeat with any key).
      post('/quotes/:id/reverse', z.object({}), (_body, { params, now }) => {
        const q = quoteOf(params.id);
        if (q.executedAt === undefined) throw problem('quote-not-executed', `Quote '${q.id}' was never executed: there is no deal to reverse`);
        q.reversedAt ??= now;
        return ok({ quoteId: q.id, executionId: q.executionId, reversedAt: iso(q.reversedAt) });
      }),
    ],
    configure(config) {
      const parsed = configSchema.parse(config);
      if (parsed.quoteTtlMs !== undefined) ttlMs = parsed.quoteTtlMs;
    },
    reset() {
      ids = new IdSequence();
      quotes = new Map();
      ttlMs = options.quoteTtlMs ?? 30_000;
    },
  };
}
