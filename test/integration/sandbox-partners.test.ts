import { PartnerRejectedError, SandboxClient } from '../../src/sandbox/client';
import { problemType } from '../../src/partners/problem-types';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';

let sandbox: RunningSandbox;
let client: SandboxClient;
let keySeq = 0;
const key = (label = 'k'): string => `${label}-${++keySeq}`;
const k = () => ({ idempotencyKey: key() });
const eur = (value: number) => ({ value, currency: 'EUR' });
const usd = (value: number) => ({ value, currency: 'USD' });
const T0 = Date.UTC(2025, 0, 1);

beforeAll(async () => {
  // A frozen base clock: only the admin clock endpoint moves time, so expiry is exact.
  sandbox = await startSandbox({ port: 0, clock: () => T0 });
  client = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5_000 });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('fx', () => {
  it('quotes with the cross rate, converts across minor-unit exponents and sets expiresAt from the TTL', async () => {
    const quote = await client.fx.createQuote({ from: 'EUR', to: 'JPY', amount: eur(100_00) }, k());
    expect(quote.rate).toBeCloseTo(151.25 / 0.92, 5);
    expect(quote.converted).toEqual({ value: 16_440, currency: 'JPY' });
    expect(quote.expiresAt).toBe(new Date(T0 + 30_000).toISOString());
    const kwd = await client.fx.createQuote({ from: 'USD', to: 'KWD', amount: usd(1_000_00) }, k());
    expect(kwd.converted).toEqual({ value: 307_000, currency: 'KWD' });
  });

  it('executes a live quote once; replay returns the execution, a second execution is refused', async () => {
    const quote = await client.fx.createQuote({ from: 'EUR', to: 'USD', amount: eur(50_00) }, k());
    await client.admin.advanceClock(29_999);
    const opts = k();
    const execution = await client.fx.executeQuote(quote.id, opts);
    expect(execution).toMatchObject({ quoteId: quote.id, sold: eur(50_00), bought: quote.converted });
    expect(await client.fx.executeQuote(quote.id, opts)).toEqual(execution);
    await expect(client.fx.executeQuote(quote.id, k())).rejects.toMatchObject({ status: 409, type: problemType('quote-already-executed') });
  });

  it('refuses to execute an expired quote with 409', async () => {
    const quote = await client.fx.createQuote({ from: 'GBP', to: 'EUR', amount: { value: 10_00, currency: 'GBP' } }, k());
    await client.admin.advanceClock(30_000);
    const err = await client.fx.executeQuote(quote.id, k()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 409, type: problemType('quote-expired'), retryable: false });
    expect((await client.fx.getQuote(quote.id)).status).toBe('expired');
  });

  it('honours a configured TTL and a scripted rate, and validates the amount currency', async () => {
    await client.admin.configure('fx', { quoteTtlMs: 1_000 });
    await client.admin.script('fx', [{ match: { path: '/fx/quotes' }, outcome: 'ok', body: { rate: 2 } }]);
    const quote = await client.fx.createQuote({ from: 'EUR', to: 'USD', amount: eur(10_00) }, k());
    expect([quote.rate, quote.converted.value, quote.expiresAt]).toEqual([2, 20_00, new Date(T0 + 1_000).toISOString()]);
    await client.admin.advanceClock(1_000);
    await expect(client.fx.executeQuote(quote.id, k())).rejects.toMatchObject({ status: 409 });
    const invalid = await client.fx.createQuote({ from: 'EUR', to: 'USD', amount: usd(1) }, k()).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, problem: { errors: [{ path: 'amount.currency' }] } });
  });
});

describe('lookups for reconciliation', () => {
  it('finds quotes by reference, holds by account and transfers by reference, and nothing of anyone else', async () => {
    const mine = await client.fx.createQuote({ from: 'EUR', to: 'USD', amount: eur(10_00), reference: 'pay-1' }, k());
    await client.fx.createQuote({ from: 'EUR', to: 'USD', amount: eur(20_00), reference: 'pay-2' }, k());
    await client.fx.executeQuote(mine.id, k());
    const quotes = await client.fx.findQuotes('pay-1');
    expect(quotes.items.map((q) => [q.id, q.reference, q.status])).toEqual([[mine.id, 'pay-1', 'executed']]);
    expect((await client.fx.findQuotes('nobody')).items).toEqual([]);

    await client.bank.openAccount({ id: 'acc-a', initialBalance: eur(100_00) }, k());
    await client.bank.openAccount({ id: 'acc-b', initialBalance: eur(100_00) }, k());
    const hold = await client.bank.createHold({ accountId: 'acc-a', amount: eur(5_00), reference: 'h-1' }, k());
    await client.bank.createHold({ accountId: 'acc-b', amount: eur(7_00) }, k());
    expect((await client.bank.accountHolds('acc-a')).items.map((h) => [h.id, h.status])).toEqual([[hold.id, 'active']]);
    await expect(client.bank.accountHolds('acc-missing')).rejects.toMatchObject({ status: 404 });

    const transfer = await client.bank.createTransfer({ from: 'acc-a', to: 'acc-b', amount: eur(1_00), reference: 'pay-1' }, k());
    expect((await client.bank.findTransfersByReference('pay-1')).items.map((t) => t.id)).toEqual([transfer.id]);
    expect((await client.bank.findTransfersByReference('pay-2')).items).toEqual([]);
  });
});

describe('fraud', () => {
  const tx = (id: string) => ({ transactionId: id, amount: eur(250_00), merchant: 'acme' });

  it('scores deterministically from the input, within 0..100', async () => {
    const a = await client.fraud.score(tx('tx-1'), k());
    const b = await client.fraud.score({ merchant: 'acme', amount: eur(250_00), transactionId: 'tx-1' }, k());
    expect(b.score).toBe(a.score);
    const scores = await Promise.all(Array.from({ length: 30 }, (_, i) => client.fraud.score(tx(`tx-${i}`), k())));
    expect(scores.filter((s) => s.score < 0 || s.score > 100 || !Number.isInteger(s.score))).toEqual([]);
    expect(new Set(scores.map((s) => s.score)).size).toBeGreaterThan(10);
  });

  it('lets a script force the next score only', async () => {
    const natural = (await client.fraud.score(tx('tx-9'), k())).score;
    const forced = natural === 97 ? 3 : 97;
    await client.admin.script('fraud', [{ outcome: 'ok', body: { score: forced } }]);
    expect((await client.fraud.score(tx('tx-9'), k())).score).toBe(forced);
    expect((await client.fraud.score(tx('tx-9'), k())).score).toBe(natural);
  });
});

describe('kyc', () => {
  it('decides from the documents, and a script can force a result', async () => {
    const check = (documents: Parameters<typeof client.kyc.check>[0]['documents']) => client.kyc.check({ applicantId: 'app-1', documents }, k());
    expect((await check([{ type: 'passport' }, { type: 'proof_of_address' }])).result).toBe('clear');
    expect((await check([{ type: 'proof_of_address' }])).result).toBe('unclear');
    expect((await check([{ type: 'passport', expired: true }])).result).toBe('rejected');
    await client.admin.script('kyc', [{ match: { method: 'POST', path: '/kyc/checks' }, outcome: 'ok', body: { result: 'unclear' } }]);
    expect(await check([{ type: 'passport' }])).toMatchObject({ result: 'unclear', reasons: ['scripted-unclear'] });
    expect((await check([{ type: 'passport' }])).result).toBe('clear');
  });
});

describe('sanctions', () => {
  it('screens against the built-in list and embargoes, and a script can force a hit', async () => {
    const screen = (name: string, country: string) => client.sanctions.screen({ name, country }, k());
    expect((await screen('Ivan  Blockov', 'DE')).result).toBe('hit');
    expect(await screen('paula ministra', 'ES')).toMatchObject({ result: 'pep', matches: [{ list: 'SANDBOX-PEP' }] });
    expect((await screen('Jane Doe', 'FR')).result).toBe('clear');
    expect((await screen('Jane Doe', 'KP')).result).toBe('hit');
    await client.admin.script('sanctions', [{ outcome: 'ok', body: { result: 'hit' } }]);
    expect((await screen('Jane Doe', 'FR')).result).toBe('hit');
    expect((await screen('Jane Doe', 'FR')).result).toBe('clear');
  });
});

describe('credit', () => {
  it('reports a deterministic score within 300..850 per applicant, overridable by script', async () => {
    const reports = await Promise.all(Array.from({ length: 20 }, (_, i) => client.credit.report({ applicantId: `app-${i}` }, k())));
    expect(reports.filter((r) => r.score < 300 || r.score > 850)).toEqual([]);
    expect(new Set(reports.map((r) => r.score)).size).toBeGreaterThan(10);
    expect((await client.credit.report({ applicantId: 'app-3', purpose: 'loan' }, k())).score).toBe(reports[3].score);
    await client.admin.script('credit', [{ outcome: 'ok', body: { score: 812 } }]);
    expect(await client.credit.report({ applicantId: 'app-3' }, k())).toMatchObject({ score: 812, band: 'excellent' });
  });
});

describe('broker', () => {
  const order = { symbol: 'ACME', side: 'buy' as const, quantity: 100, limitPrice: usd(10_00) };

  it('accepts orders and fills them through the admin API, enforcing quantity and limit', async () => {
    const placed = await client.broker.placeOrder(order, k());
    expect(placed).toMatchObject({ status: 'accepted', filledQuantity: 0, remainingQuantity: 100 });
    expect(await client.admin.addFill(placed.id, { quantity: 40, price: usd(9_90) })).toMatchObject({ status: 'partially_filled', remainingQuantity: 60 });
    await expect(client.admin.addFill(placed.id, { quantity: 10, price: usd(10_01) })).rejects.toMatchObject({ status: 409, type: problemType('order-not-fillable') });
    await expect(client.admin.addFill(placed.id, { quantity: 61 })).rejects.toMatchObject({ status: 409 });
    await client.admin.addFill(placed.id, { quantity: 60 });
    const filled = await client.broker.getOrder(placed.id);
    expect(filled).toMatchObject({ status: 'filled', filledQuantity: 100, averagePrice: usd(9_96) });
    expect(filled.fills.map((f) => f.quantity)).toEqual([40, 60]);
    await expect(client.broker.cancelOrder(placed.id, k())).rejects.toMatchObject({ status: 409, type: problemType('order-not-cancellable') });
  });

  it('cancels a live order, rejects oversize orders, and obeys scripted rejects and fills', async () => {
    const live = await client.broker.placeOrder(order, k());
    expect((await client.broker.cancelOrder(live.id, k())).status).toBe('cancelled');
    expect(await client.broker.placeOrder({ ...order, quantity: 2_000_000 }, k())).toMatchObject({ status: 'rejected', rejectReason: 'quantity-limit-exceeded' });
    await client.admin.script('broker', [
      { match: { path: '/broker/orders' }, outcome: 'ok', body: { status: 'rejected', rejectReason: 'market-closed' } },
      { match: { path: '/broker/orders' }, outcome: 'ok', body: { fills: [{ quantity: 100, price: usd(9_50) }] } },
    ]);
    expect(await client.broker.placeOrder(order, k())).toMatchObject({ status: 'rejected', rejectReason: 'market-closed' });
    expect(await client.broker.placeOrder(order, k())).toMatchObject({ status: 'filled', averagePrice: usd(9_50) });
    expect((await client.broker.placeOrder(order, k())).status).toBe('accepted');
  });
});
