import { startHttpApp, type HttpHarness } from '../support/http-app';
import { waitFor } from '../support/env';
import { approval, counter } from '../support/test-definitions';

let api: HttpHarness;
beforeAll(async () => {
  api = await startHttpApp('api', [approval, counter]);
});
afterAll(() => api.close());

const transfer = (transferId: string, extra: Record<string, unknown> = {}) => ({
  type: 'demo-transfer',
  input: { transferId, amount: { value: 1000, currency: 'EUR' }, from: 'A', to: 'B', ...extra },
});

async function until(id: string, statuses: string[]) {
  return waitFor(async () => {
    const res = await api.request('GET', `/v1/workflows/${id}`);
    return statuses.includes(res.body.status) ? res.body : undefined;
  }, `${id} to reach ${statuses}`);
}

test('the demo transfer runs end to end: start, retried reservation, approval signal, effect once', async () => {
  const started = await api.request('POST', '/v1/workflows', { ...transfer('T-1', { failFirstAttempts: 1 }), workflowId: 'demo-1' });
  expect(started.status).toBe(201);
  expect(started.headers.get('location')).toBe('/v1/workflows/demo-1');
  expect(started.body).toMatchObject({ id: 'demo-1', type: 'demo-transfer', definitionVersion: 1, status: 'running', state: 'reserving' });

  const waiting = await until('demo-1', ['waiting']);
  expect(waiting.state).toBe('awaitingApproval');
  expect(waiting.context.holdId).toMatch(/^hold-/);

  const approved = await api.request('POST', '/v1/workflows/demo-1/events', { type: 'transfer.approved', approver: 'ops-1' });
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'completed', state: 'completed', output: { outcome: 'completed', decidedBy: 'ops-1' } });

  const history = await waitFor(async () => {
    const res = await api.request('GET', '/v1/workflows/demo-1/history');
    return res.body.items.some((r: any) => r.kind === 'effect.completed') ? res.body.items : undefined;
  }, 'the notification effect to run');
  const kinds = history.map((r: any) => r.kind);
  expect(kinds.filter((k: string) => k === 'activity.attempt.failed')).toHaveLength(1);
  expect(kinds.filter((k: string) => k === 'effect.completed')).toHaveLength(1);
  expect(history.find((r: any) => r.kind === 'effect.completed').idempotencyKey).toBe('demo-1/notifyCustomer/1');
  // The chain links every record to the one before it.
  history.forEach((r: any, i: number) => {
    expect(r.seq).toBe(i + 1);
    if (i > 0) expect(r.prevHash).toBe(history[i - 1].hash);
  });
  expect(history[0].prevHash).toBe('0'.repeat(64));
  expect(history.find((r: any) => r.kind === 'event.received')).toMatchObject({ actor: 'principal:admin', origin: { requestId: expect.any(String) } });
});

test('an event not accepted in the current state is 409 problem+json', async () => {
  await api.request('POST', '/v1/workflows', { type: 'test-counter', workflowId: 'closed-counter', input: { limit: 0 } });
  const res = await api.request('POST', '/v1/workflows/closed-counter/events', { type: 'counter.incremented' });
  expect(res.status).toBe(409);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.stringMatching(/event-not-accepted$/), status: 409, instance: '/v1/workflows/closed-counter/events', state: 'open' });
  expect(JSON.stringify(res.body)).not.toMatch(/\bat \w+ \(/);
});

test('bad requests are problem+json naming the field at fault', async () => {
  const unknownType = await api.request('POST', '/v1/workflows', { type: 'no-such-process', input: {} });
  expect(unknownType.status).toBe(404);
  expect(unknownType.body.type).toMatch(/definition-not-found$/);

  const badInput = await api.request('POST', '/v1/workflows', transfer('T-3', { amount: { value: -5, currency: 'euro' } }));
  expect(badInput.status).toBe(400);
  expect(badInput.body.errors.map((e: any) => e.field).sort()).toEqual(['input.amount.currency', 'input.amount.value']);

  const malformedBody = await api.request('POST', '/v1/workflows', { type: 'demo-transfer', input: {}, status: 'completed' });
  expect(malformedBody.status).toBe(400);
  expect(malformedBody.body.errors[0]).toEqual({ field: 'status', message: 'not declared' });

  const notJson = await api.request('POST', '/v1/workflows', '{"type": ', { 'content-type': 'application/json' });
  expect(notJson.status).toBe(400);
  expect(notJson.body.type).toMatch(/malformed-json$/);

  const huge = await api.request('POST', '/v1/workflows', { type: 'demo-transfer', input: { pad: 'x'.repeat(1024 * 1024 + 10) } });
  expect(huge.status).toBe(413);
  expect(huge.headers.get('content-type')).toMatch(/^application\/problem\+json/);

  const unknownWorkflow = await api.request('GET', '/v1/workflows/nope-404');
  expect(unknownWorkflow.status).toBe(404);
  expect(unknownWorkflow.body.type).toMatch(/workflow-not-found$/);

  const badPayload = await api.request('POST', '/v1/workflows', { ...transfer('T-4'), workflowId: 'demo-4' });
  expect(badPayload.status).toBe(201);
  await until('demo-4', ['waiting']);
  const missingApprover = await api.request('POST', '/v1/workflows/demo-4/events', { type: 'transfer.approved' });
  expect(missingApprover.status).toBe(400);
  expect(missingApprover.body.errors[0].field).toBe('approver');
});

test('20 concurrent identical starts with one Idempotency-Key create one workflow', async () => {
  const body = transfer('T-idem');
  const responses = await Promise.all(
    Array.from({ length: 20 }, () => api.request('POST', '/v1/workflows', body, { 'Idempotency-Key': 'start-T-idem' })),
  );
  const statuses = responses.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  for (const s of statuses) expect([200, 201, 409]).toContain(s);
  const ids = new Set(responses.filter((r) => r.status !== 409).map((r) => r.body.id));
  expect(ids.size).toBe(1);
  for (const r of responses.filter((x) => x.status === 409)) expect(r.headers.get('retry-after')).toBe('1');
  const list = await api.request('GET', '/v1/workflows?type=demo-transfer&limit=200');
  expect(list.body.items.filter((w: any) => w.input.transferId === 'T-idem')).toHaveLength(1);

  const replay = await api.request('POST', '/v1/workflows', body, { 'Idempotency-Key': 'start-T-idem' });
  expect(replay.status).toBe(200);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body.id).toBe([...ids][0]);

  const otherBody = await api.request('POST', '/v1/workflows', transfer('T-other'), { 'Idempotency-Key': 'start-T-idem' });
  expect(otherBody.status).toBe(422);
  expect(otherBody.body.type).toMatch(/idempotency-key-reused$/);
});

test('a workflowId already used is 409 unless the body is identical', async () => {
  const first = await api.request('POST', '/v1/workflows', { ...transfer('T-5'), workflowId: 'demo-5' });
  expect(first.status).toBe(201);
  const same = await api.request('POST', '/v1/workflows', { ...transfer('T-5'), workflowId: 'demo-5' });
  expect(same.status).toBe(200);
  expect(same.body.id).toBe('demo-5');
  const different = await api.request('POST', '/v1/workflows', { ...transfer('T-6'), workflowId: 'demo-5' });
  expect(different.status).toBe(409);
  expect(different.body.type).toMatch(/workflow-id-conflict$/);
});

test('cancel takes the machine\'s cancel path; a second cancel is 409', async () => {
  await api.request('POST', '/v1/workflows', { ...transfer('T-7'), workflowId: 'demo-7' });
  await until('demo-7', ['waiting']);
  const cancelled = await api.request('POST', '/v1/workflows/demo-7/cancel', { reason: 'customer withdrew' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ status: 'cancelled', state: 'cancelled', output: { outcome: 'cancelled' } });
  const again = await api.request('POST', '/v1/workflows/demo-7/cancel');
  expect(again.status).toBe(409);
  expect(again.body.type).toMatch(/workflow-terminal$/);
});

test('lists filter by type, status and state and paginate with a cursor', async () => {
  for (let i = 0; i < 5; i++) await api.request('POST', '/v1/workflows', { type: 'test-approval', workflowId: `page-${i}`, input: { timeoutMs: 600_000 } });
  const first = await api.request('GET', '/v1/workflows?type=test-approval&status=waiting&state=waiting&limit=2');
  expect(first.status).toBe(200);
  expect(first.body.items.map((w: any) => w.id)).toEqual(['page-4', 'page-3']);
  const second = await api.request('GET', `/v1/workflows?type=test-approval&limit=2&cursor=${first.body.nextCursor}`);
  expect(second.body.items.map((w: any) => w.id)).toEqual(['page-2', 'page-1']);
  const third = await api.request('GET', `/v1/workflows?type=test-approval&limit=2&cursor=${second.body.nextCursor}`);
  expect(third.body.items.map((w: any) => w.id)).toEqual(['page-0']);
  expect(third.body.nextCursor).toBeNull();
  const badCursor = await api.request('GET', '/v1/workflows?cursor=zzz');
  expect(badCursor.status).toBe(400);
  const badStatus = await api.request('GET', '/v1/workflows?status=sleeping');
  expect(badStatus.status).toBe(400);
  expect(badStatus.body.errors[0].field).toBe('status');
});

test('every definition documents its input and events, and its exampleInput starts a workflow', async () => {
  const defs = await api.request('GET', '/v1/definitions');
  expect(defs.status).toBe(200);
  const demo = defs.body.items.find((d: any) => d.type === 'demo-transfer');
  expect(demo.input.required).toEqual(expect.arrayContaining(['transferId', 'amount']));
  expect(demo.input.required).not.toContain('failFirstAttempts');
  expect(demo.events.map((e: any) => e.type)).toEqual(['transfer.approved', 'transfer.rejected']);
  expect(demo.activities[0]).toMatchObject({ name: 'reserveFunds', retry: { maximumAttempts: 5 } });
  for (const d of defs.body.items) {
    const res = await api.request('POST', '/v1/workflows', { type: d.type, version: d.version, input: d.exampleInput });
    expect({ type: d.type, status: res.status }).toEqual({ type: d.type, status: 201 });
  }
  const one = await api.request('GET', '/v1/definitions/demo-transfer/1');
  expect(one.body.type).toBe('demo-transfer');
  expect((await api.request('GET', '/v1/definitions/demo-transfer/9')).status).toBe(404);
});

test('OpenAPI docs are served at /docs', async () => {
  const res = await api.request('GET', '/docs-json');
  expect(res.status).toBe(200);
  expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/workflows', '/v1/workflows/{id}/events', '/v1/definitions']));
});
