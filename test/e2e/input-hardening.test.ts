import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness, type HttpResponse, type RequestFn } from '../support/http-app';
import { reviewed } from '../support/test-definitions';

let api: HttpHarness;
const reviewer: Record<string, RequestFn> = {};
/** Every response of this file: none may show a stack frame, a file path or SQL. */
const responses: { what: string; res: HttpResponse }[] = [];

beforeAll(async () => {
  api = await startHttpApp('input_hardening', [reviewed]);
  for (const id of ['uw-1', 'uw-2']) reviewer[id] = api.as(await api.createKey({ id, roles: ['reviewer'], groups: ['underwriters'] }));
}, 60_000);
afterAll(() => api?.close());

function recorded(who: RequestFn): RequestFn {
  return async (method, path, body, headers) => {
    const res = await who(method, path, body, headers);
    responses.push({ what: `${method} ${path.slice(0, 80)}`, res });
    return res;
  };
}
const send = (...args: Parameters<RequestFn>) => recorded(api.request)(...args);
const json = { 'content-type': 'application/json' };

function expectRefused(res: HttpResponse, field: string): void {
  expect({ status: res.status, contentType: res.headers.get('content-type'), type: res.body?.type }).toEqual({
    status: 400,
    contentType: expect.stringMatching(/^application\/problem\+json/),
    type: expect.stringMatching(/validation-failed$/),
  });
  expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}

const input = (extra: Record<string, unknown> = {}) => ({ transferId: 'T-1', amount: { value: 1000, currency: 'EUR' }, from: 'A', to: 'B', ...extra });
/** The JSON text of a start, with `inputTail` spliced in as raw JSON members of `input`. */
const rawStart = (workflowId: string, inputTail: string) =>
  `{"type":"demo-transfer","workflowId":"${workflowId}","input":{"transferId":"T-1","amount":{"value":1000,"currency":"EUR"},"to":"B",${inputTail}}}`;
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('a NUL in a body string is refused naming the field, and nothing is started', async () => {
  expectRefused(await send('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'nul-1', input: input({ from: 'A\u0000B' }) }), 'input.from');
  expect((await send('GET', '/v1/workflows/nul-1')).status).toBe(404);
});

test('a lone surrogate in a body string is refused; a surrogate pair is text and passes', async () => {
  expectRefused(await send('POST', '/v1/workflows', rawStart('sur-1', '"from":"\\ud800"'), json), 'input.from');
  expectRefused(await send('POST', '/v1/workflows', rawStart('sur-2', '"from":"x\\udc00"'), json), 'input.from');
  expect((await send('POST', '/v1/workflows', rawStart('sur-3', '"from":"\\ud83d\\ude00"'), json)).status).toBe(201);
});

test('an object key with a NUL is refused, named without echoing the NUL', async () => {
  const res = await send('POST', '/v1/workflows', rawStart('key-1', '"from":"A","a\\u0000b":1'), json);
  expectRefused(res, 'input.a\uFFFDb');
  expect(JSON.stringify(res.body)).not.toMatch(/\\u0000/);
});

test('nesting 64 deep is accepted, 65 deep refused naming the place; 1 MiB of [ does not crash', async () => {
  const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
  // The body's object and `input` are two levels: `pad` adds the rest.
  expect((await send('POST', '/v1/workflows', rawStart('deep-64', `"from":"A","pad":${nested(62)}`), json)).status).toBe(201);
  expectRefused(await send('POST', '/v1/workflows', rawStart('deep-65', `"from":"A","pad":${nested(63)}`), json), `input.pad${'.0'.repeat(62)}`);
  expect((await send('GET', '/v1/workflows/deep-65')).status).toBe(404);

  const half = (1024 * 1024) / 2 - 8;
  expectRefused(await send('POST', '/v1/workflows', nested(half), json), `${'0.'.repeat(63)}0`);
  const unbalanced = await send('POST', '/v1/workflows', '['.repeat(1024 * 1024 - 8), json);
  expect({ status: unbalanced.status, type: unbalanced.body.type }).toEqual({ status: 400, type: expect.stringMatching(/malformed-json$/) });
});

test('more than 10,000 members and elements in one body are refused', async () => {
  expect((await send('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'wide-ok', input: input({ pad: Array(9_000).fill(0) }) })).status).toBe(201);
  expectRefused(await send('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'wide-no', input: input({ pad: Array(10_000).fill(0) }) }), '(body)');
  expectRefused(await send('POST', '/v1/workflows', { type: 'demo-transfer', input: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, i])) }), '(body)');
});

test('a NUL in a query value or key is refused naming the parameter', async () => {
  expectRefused(await send('GET', '/v1/workflows?type=a%00b'), 'query.type');
  expectRefused(await send('GET', '/v1/tasks?group=x&group=%00'), 'query.group.1');
  expectRefused(await send('GET', '/v1/workflows?type%00=x'), 'query.type\uFFFD');
  expect((await send('GET', '/v1/workflows?type=demo-transfer')).status).toBe(200);
});

test('a malformed percent-encoding or a NUL in the path is a 400 problem naming the path', async () => {
  expectRefused(await send('GET', '/v1/workflows/%E0%A4%A'), 'path');
  expectRefused(await send('GET', '/v1/workflows/%ZZ/history'), 'path');
  expectRefused(await send('POST', '/v1/workflows/a%00b/events', { type: 'x' }), 'path');
  expectRefused(await send('GET', '/v1/workflows/%ED%A0%80'), 'path');
});

test('workflow cursors: the API\'s own pages on, garbage and forgeries are 400 naming cursor', async () => {
  for (const id of ['page-1', 'page-2']) await send('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: id, input: input() });
  const first = await send('GET', '/v1/workflows?limit=1');
  expect(first.body.nextCursor).toEqual(expect.any(String));
  const second = await send('GET', `/v1/workflows?limit=1&cursor=${first.body.nextCursor}`);
  expect(second.status).toBe(200);
  expect(second.body.items[0].id).not.toBe(first.body.items[0].id);

  const forged = [
    'not a cursor!',
    'bm90IGpzb24',
    `${first.body.nextCursor}x`,
    Buffer.from([0x5b, 0xff, 0xfe, 0x5d]).toString('base64url'),
    cursorOf({ at: '2026-01-01T00:00:00.000Z', id: 'x' }),
    cursorOf(['0000-01-01T00:00:00.000Z', 'x']),
    cursorOf(['2026-02-30T00:00:00.000Z', 'x']),
    cursorOf(['2026-01-01T00:00:00Z', 'x']),
    cursorOf(['2026-01-01T00:00:00.000Z', 5]),
    cursorOf(['2026-01-01T00:00:00.000Z', "x' OR '1'='1"]),
    cursorOf(['2026-01-01T00:00:00.000Z', 'a/b/c']),
    cursorOf(['2026-01-01T00:00:00.000Z', 'x'.repeat(1201)]),
  ];
  for (const cursor of forged) expectRefused(await send('GET', `/v1/workflows?cursor=${encodeURIComponent(cursor)}`), 'cursor');
  expect((await send('GET', `/v1/workflows?cursor=${cursorOf(['2026-01-01T00:00:00.000Z', 'tenant-a/P-1'])}`)).status).toBe(200);
});

test('task cursors: the API\'s own pages on, garbage and forgeries are 400 naming cursor', async () => {
  for (const id of ['tasks-1', 'tasks-2']) expect((await send('POST', '/v1/workflows', { type: 'test-reviewed', workflowId: id, input: {} })).status).toBe(201);
  const first = await waitFor(async () => {
    const res = await send('GET', '/v1/tasks?limit=1');
    return res.body.nextCursor ? res : undefined;
  }, 'two open tasks');
  const second = await send('GET', `/v1/tasks?limit=1&cursor=${first.body.nextCursor}`);
  expect(second.status).toBe(200);
  expect(second.body.items[0].id).not.toBe(first.body.items[0].id);

  const forged = [
    'garbage',
    '%%%',
    cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid']),
    cursorOf(['0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
    cursorOf(['2026-01-01T00:00:00.000Z']),
  ];
  for (const cursor of forged) expectRefused(await send('GET', `/v1/tasks?cursor=${encodeURIComponent(cursor)}`), 'cursor');
});

test('year 0 in createdAfter or createdBefore is refused naming the field; year 1 is a date', async () => {
  expectRefused(await send('GET', '/v1/workflows?createdAfter=0000-01-01T00:00:00Z'), 'createdAfter');
  expectRefused(await send('GET', '/v1/workflows?createdBefore=0000-12-31T23:59:59%2B01:00'), 'createdBefore');
  expect((await send('GET', '/v1/workflows?createdAfter=0001-01-01T00:00:00Z&createdBefore=9999-12-31T23:59:59Z')).status).toBe(200);
});

test('the audit routes take the same bounded timestamps: year 0 and offsets past ±15:59 are 400, not 500', async () => {
  expectRefused(await send('GET', '/v1/audit/export?from=0000-01-01T00:00:00Z'), 'from');
  expectRefused(await send('GET', '/v1/audit/export?to=9999-12-31T23:59:59-23:59'), 'to');
  expectRefused(await send('GET', '/v1/audit/security-events?from=0000-01-01T00:00:00Z'), 'from');
  expectRefused(await send('GET', '/v1/workflows?createdAfter=2026-01-01T00:00:00%2B16:00'), 'createdAfter');
  expect((await send('GET', '/v1/audit/security-events?from=2026-01-01T00:00:00%2B15:59')).status).toBe(200);
});

test('a currency that is not ISO 4217 is refused on start naming the field', async () => {
  expectRefused(await send('POST', '/v1/workflows', { type: 'demo-transfer', input: input({ amount: { value: 1000, currency: 'ABC' } }) }), 'input.amount.currency');
  expectRefused(await send('POST', '/v1/workflows', { type: 'demo-transfer', input: input({ amount: { value: 1000, currency: 'XXX' } }) }), 'input.amount.currency');
  expect((await send('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'yen-1', input: input({ amount: { value: 1000, currency: 'JPY' } }) })).status).toBe(201);
});

test('an event payload member the schema does not declare is 400 and never reaches the history', async () => {
  expect((await send('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'strict-1', input: input() })).status).toBe(201);
  await waitFor(async () => (await send('GET', '/v1/workflows/strict-1')).body.status === 'waiting', 'strict-1 to wait for approval');
  expectRefused(await send('POST', '/v1/workflows/strict-1/events', { type: 'transfer.approved', approver: 'ops', sneaky: 'x' }), 'sneaky');
  // An event the definition declares no schema for takes no payload.
  expectRefused(await send('POST', '/v1/workflows/strict-1/events', { type: 'transfer.nudged', smuggled: 'y' }), 'smuggled');
  const history = (await send('GET', '/v1/workflows/strict-1/history')).body.items;
  expect(history.filter((r: any) => r.kind === 'event.received')).toEqual([]);
  expect(JSON.stringify(history)).not.toMatch(/sneaky|smuggled/);

  const approved = await send('POST', '/v1/workflows/strict-1/events', { type: 'transfer.approved', approver: 'ops' });
  expect(approved.body).toMatchObject({ status: 'completed', output: { decidedBy: 'ops' } });
});

test('a decision data field the task form does not declare is 400; a task without a form takes none', async () => {
  expect((await send('POST', '/v1/workflows', { type: 'test-reviewed', workflowId: 'decide-1', input: {} })).status).toBe(201);
  const openTask = (state: string) =>
    waitFor(async () => (await send('GET', '/v1/tasks?workflow=decide-1&status=open')).body.items?.find((t: any) => t.stateId === state), `the ${state} task`);
  const review = await openTask('tasks.review');
  const uw1 = recorded(reviewer['uw-1']);
  expectRefused(await uw1('POST', `/v1/tasks/${review.id}/complete`, { decision: 'approve', data: { note: 'fine', approvedLimit: 1e9 } }), 'data.approvedLimit');
  expect((await uw1('POST', `/v1/tasks/${review.id}/complete`, { decision: 'approve', data: { note: 'fine' } })).status).toBe(200);

  const second = await openTask('tasks.secondReview');
  const uw2 = recorded(reviewer['uw-2']);
  expectRefused(await uw2('POST', `/v1/tasks/${second.id}/complete`, { decision: 'approve', data: { note: 'no form here' } }), 'data.note');
  expect((await uw2('POST', `/v1/tasks/${second.id}/complete`, { decision: 'approve', data: {} })).status).toBe(200);
  const history = (await send('GET', '/v1/workflows/decide-1/history')).body.items;
  expect(JSON.stringify(history)).not.toMatch(/approvedLimit|no form here/);
});

test('after all of it the app is healthy, and no response showed a stack, a path or SQL', async () => {
  expect((await send('GET', '/health')).status).toBe(200);
  expect(responses.length).toBeGreaterThan(40);
  const leaks = responses
    .map(({ what, res }) => ({ what, text: typeof res.body === 'string' ? res.body : JSON.stringify(res.body) }))
    .filter(({ text }) => /\n\s+at |\bat [\w$.<>]+ \(|node_modules|\/src\/|<html|<pre/i.test(text) || /\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b/.test(text));
  expect(leaks).toEqual([]);
  expect(responses.filter(({ res }) => res.status >= 500).map(({ what }) => what)).toEqual([]);
});
