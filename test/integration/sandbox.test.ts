import { PartnerRejectedError, SandboxClient, type Account } from '../../src/sandbox/client';
import { problemType } from '../../src/partners/problem-types';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';

let sandbox: RunningSandbox;
let client: SandboxClient;
let keySeq = 0;
const key = (label = 'k'): string => `${label}-${++keySeq}`;
const eur = (value: number) => ({ value, currency: 'EUR' });

interface RawResponse {
  status: number;
  contentType: string;
  replayed: string | null;
  text: string;
  body: Record<string, unknown>;
}

async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await fetch(sandbox.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    replayed: res.headers.get('idempotent-replayed'),
    text,
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

async function open(id: string, value: number, currency = 'EUR'): Promise<Account> {
  return client.bank.openAccount({ id, initialBalance: { value, currency } }, { idempotencyKey: key('open') });
}

const balance = async (id: string): Promise<number> => (await client.bank.getAccount(id)).balance.value;
const available = async (id: string): Promise<number> => (await client.bank.getAccount(id)).available.value;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  client = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5_000 });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await client.admin.reset();
});

describe('bank ledger', () => {
  it('funds opening balances from equity so the grand total per currency stays zero', async () => {
    await open('alice', 100_00);
    await open('bob', 50_00);
    await open('yuki', 9_000, 'JPY');
    const totals = await client.admin.ledgerTotals();
    expect(totals.currencies.EUR).toEqual({ total: 0, customer: 150_00, equity: -150_00, clearing: 0, accounts: 2 });
    expect(totals.currencies.JPY).toMatchObject({ total: 0, customer: 9_000 });
    expect(totals).toMatchObject({ postings: 3, balanced: true });
  });

  it('refuses insufficient funds with a stable 422 problem and leaves balances and postings untouched', async () => {
    await open('alice', 100_00);
    await open('bob', 0);
    const before = await client.admin.ledgerTotals();
    const k = key('trf');
    const first = await http('POST', '/bank/transfers', { from: 'alice', to: 'bob', amount: eur(100_01) }, { 'Idempotency-Key': k });
    expect(first.status).toBe(422);
    expect(first.contentType).toContain('application/problem+json');
    expect(first.body).toMatchObject({ type: problemType('insufficient-funds'), status: 422, accountId: 'alice' });
    expect(await balance('alice')).toBe(100_00);
    expect(await balance('bob')).toBe(0);
    expect(await client.admin.ledgerTotals()).toEqual(before);
    // The refusal is stored: replaying the key answers the same even though funds now suffice.
    await client.bank.createTransfer({ from: 'bob', to: 'alice', amount: eur(1) }, { idempotencyKey: key() }).catch(() => undefined);
    const replay = await http('POST', '/bank/transfers', { from: 'alice', to: 'bob', amount: eur(100_01) }, { 'Idempotency-Key': k });
    expect(replay.status).toBe(422);
    expect(replay.body).toEqual(first.body);
  });

  it('maps business refusals to PartnerRejectedError with status, type and a stable name', async () => {
    await open('alice', 10_00);
    await open('bob', 0);
    const err = await client.bank
      .createTransfer({ from: 'alice', to: 'bob', amount: eur(20_00) }, { idempotencyKey: key() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ name: 'PartnerRejectedError', status: 422, type: problemType('insufficient-funds'), retryable: false });
    await expect(client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(1) }, { idempotencyKey: '' })).rejects.toThrow(TypeError);
  });

  it('reserves funds with holds, releases them and captures into another account', async () => {
    await open('alice', 100_00);
    await open('bob', 0);
    const hold = await client.bank.createHold({ accountId: 'alice', amount: eur(80_00) }, { idempotencyKey: key() });
    expect(await available('alice')).toBe(20_00);
    expect(await balance('alice')).toBe(100_00);
    await expect(
      client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(30_00) }, { idempotencyKey: key() }),
    ).rejects.toMatchObject({ status: 422, type: problemType('insufficient-funds') });
    await client.bank.releaseHold(hold.id, { idempotencyKey: key() });
    expect(await available('alice')).toBe(100_00);
    await expect(client.bank.releaseHold(hold.id, { idempotencyKey: key() })).rejects.toMatchObject({ status: 409, type: problemType('hold-not-active') });

    const second = await client.bank.createHold({ accountId: 'alice', amount: eur(60_00) }, { idempotencyKey: key() });
    const captured = await client.bank.captureHold(second.id, { toAccountId: 'bob', amount: eur(40_00) }, { idempotencyKey: key() });
    expect(captured).toMatchObject({ status: 'captured', captured: eur(40_00), capturedTo: 'bob' });
    expect(await client.bank.getAccount('alice')).toMatchObject({ balance: eur(60_00), held: eur(0), available: eur(60_00) });
    expect(await balance('bob')).toBe(40_00);
    await expect(client.bank.captureHold(second.id, { toAccountId: 'bob' }, { idempotencyKey: key() })).rejects.toMatchObject({ status: 409 });
    expect((await client.admin.ledgerTotals()).currencies.EUR).toMatchObject({ total: 0, customer: 100_00 });
  });

  it('keeps a transfer submitted until settlement, and a scripted failed settlement returns the money', async () => {
    await client.admin.configure('bank', { settlementDelayMs: 60_000 });
    await open('alice', 100_00);
    await open('bob', 0);
    const t = await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(25_00) }, { idempotencyKey: key() });
    expect(t.status).toBe('submitted');
    expect((await client.bank.getTransfer(t.id)).status).toBe('submitted');
    expect([await balance('alice'), await balance('bob')]).toEqual([75_00, 0]);
    expect((await client.admin.ledgerTotals()).currencies.EUR).toMatchObject({ total: 0, clearing: 25_00 });
    await client.admin.advanceClock(60_000);
    expect((await client.bank.getTransfer(t.id)).status).toBe('settled');
    expect([await balance('alice'), await balance('bob')]).toEqual([75_00, 25_00]);

    await client.admin.script('bank', [
      { match: { method: 'POST', path: '/bank/transfers' }, outcome: 'ok', body: { settlement: 'failed', failureReason: 'account-closed' } },
    ]);
    const failing = await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(5_00) }, { idempotencyKey: key() });
    expect(await balance('alice')).toBe(70_00);
    await client.admin.advanceClock(60_000);
    expect(await client.bank.getTransfer(failing.id)).toMatchObject({ status: 'failed', failureReason: 'account-closed' });
    expect([await balance('alice'), await balance('bob')]).toEqual([75_00, 25_00]);
  });

  it('reverses a settled transfer once, and refuses a reversal the beneficiary cannot fund', async () => {
    await open('alice', 100_00);
    await open('bob', 0);
    await open('carol', 0);
    const t1 = await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(30_00) }, { idempotencyKey: key() });
    expect((await client.bank.getTransfer(t1.id)).status).toBe('settled');
    const reversed = await client.bank.reverseTransfer(t1.id, { reason: 'customer request' }, { idempotencyKey: key() });
    expect(reversed.status).toBe('reversed');
    expect([await balance('alice'), await balance('bob')]).toEqual([100_00, 0]);
    await expect(client.bank.reverseTransfer(t1.id, {}, { idempotencyKey: key() })).rejects.toMatchObject({
      status: 409,
      type: problemType('transfer-not-reversible'),
    });

    const t2 = await client.bank.createTransfer({ from: 'alice', to: 'bob', amount: eur(10_00) }, { idempotencyKey: key() });
    await client.bank.createTransfer({ from: 'bob', to: 'carol', amount: eur(10_00) }, { idempotencyKey: key() });
    await expect(client.bank.reverseTransfer(t2.id, {}, { idempotencyKey: key() })).rejects.toMatchObject({ status: 422 });
    expect([await balance('alice'), await balance('bob'), await balance('carol')]).toEqual([90_00, 0, 10_00]);
  });
});

describe('Idempotency-Key', () => {
  it('replays the very same status and body and moves the money only once', async () => {
    await open('alice', 100_00);
    await open('bob', 0);
    const statsBefore = (await client.admin.stats()).partners.bank;
    const k = key('trf');
    const body = { from: 'alice', to: 'bob', amount: eur(30_00) };
    const first = await http('POST', '/bank/transfers', body, { 'Idempotency-Key': k });
    const second = await http('POST', '/bank/transfers', body, { 'Idempotency-Key': k });
    expect(first.status).toBe(201);
    expect(second.status).toBe(first.status);
    expect(second.text).toBe(first.text);
    expect([first.replayed, second.replayed]).toEqual([null, 'true']);
    // Even after settlement changed the transfer, the replay is the stored original answer.
    expect((await client.bank.getTransfer(String(first.body.id))).status).toBe('settled');
    expect((await http('POST', '/bank/transfers', body, { 'Idempotency-Key': k })).text).toBe(first.text);
    expect([await balance('alice'), await balance('bob')]).toEqual([70_00, 30_00]);
    const stats = (await client.admin.stats()).partners.bank;
    expect(stats.effectsApplied - statsBefore.effectsApplied).toBe(1);
    expect(stats.replays - statsBefore.replays).toBe(2);
  });

  it('refuses the same key with a different body with 422 and applies nothing', async () => {
    await open('alice', 100_00);
    await open('bob', 0);
    const k = key('trf');
    expect((await http('POST', '/bank/transfers', { from: 'alice', to: 'bob', amount: eur(10_00) }, { 'Idempotency-Key': k })).status).toBe(201);
    const reused = await http('POST', '/bank/transfers', { from: 'alice', to: 'bob', amount: eur(99_00) }, { 'Idempotency-Key': k });
    expect(reused.status).toBe(422);
    expect(reused.contentType).toContain('application/problem+json');
    expect(reused.body.type).toBe(problemType('idempotency-key-reused'));
    expect([await balance('alice'), await balance('bob')]).toEqual([90_00, 10_00]);
    expect((await client.admin.stats()).partners.bank.idempotencyConflicts).toBe(1);
  });

  it('scopes keys per partner and route, so one key on two routes applies both', async () => {
    await open('alice', 100_00);
    await open('bob', 0);
    const k = key('shared');
    const hold = await http('POST', '/bank/holds', { accountId: 'alice', amount: eur(5_00) }, { 'Idempotency-Key': k });
    const trf = await http('POST', '/bank/transfers', { from: 'alice', to: 'bob', amount: eur(5_00) }, { 'Idempotency-Key': k });
    expect([hold.status, trf.status]).toEqual([201, 201]);
    expect(await client.bank.getAccount('alice')).toMatchObject({ balance: eur(95_00), held: eur(5_00) });
  });

  it('requires the header on every mutation with a 400 problem', async () => {
    await open('alice', 100_00);
    const res = await http('POST', '/bank/holds', { accountId: 'alice', amount: eur(1_00) });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: problemType('missing-idempotency-key'), status: 400 });
    expect(await available('alice')).toBe(100_00);
  });

  it('counts received requests, replays and applied effects per partner', async () => {
    const k = key();
    await client.credit.report({ applicantId: 'a-1' }, { idempotencyKey: k });
    await client.credit.report({ applicantId: 'a-1' }, { idempotencyKey: k });
    await client.credit.report({ applicantId: 'a-2' }, { idempotencyKey: key() });
    const { partners } = await client.admin.stats();
    expect(partners.credit).toMatchObject({ received: 3, replays: 1, effectsApplied: 2 });
    expect(partners.fraud.received).toBe(0);
  });
});

describe('problem details', () => {
  it('lists field problems for invalid bodies and never leaks a stack trace', async () => {
    const res = await http('POST', '/bank/transfers', { from: '', to: 'bob', amount: { value: 1.5, currency: 'eur' } }, { 'Idempotency-Key': key() });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe(problemType('validation-error'));
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['from', 'amount.value', 'amount.currency']));
    expect(res.text).not.toMatch(/\n\s+at |stack/);
  });

  it('answers malformed JSON and unknown routes with problem+json', async () => {
    const malformed = await http('POST', '/bank/transfers', '{"from":', { 'Idempotency-Key': key() });
    expect([malformed.status, malformed.body.type]).toEqual([400, problemType('malformed-json')]);
    expect(malformed.text).not.toMatch(/\n\s+at /);
    const missing = await http('GET', '/bank/nope');
    expect([missing.status, missing.body.type, missing.contentType]).toEqual([404, problemType('route-not-found'), expect.stringContaining('problem+json')]);
    const unknownAccount = await http('GET', '/bank/accounts/ghost');
    expect([unknownAccount.status, unknownAccount.body.type]).toEqual([404, problemType('not-found')]);
  });
});
