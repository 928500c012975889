import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, type ActivityContext } from '../../src/engine';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startTracing, stopTracing } from '../../src/observability/tracing';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { waitFor } from '../support/env';
import { query } from '../../src/engine/store/sql';

const exporter = new InMemorySpanExporter();
/** `traceparent` as each partner request carried it. */
const sent: (string | null)[] = [];
const baggage: (string | null)[] = [];
let sandbox: RunningSandbox;
let api: HttpHarness;
/** The partners' client, recording what each request carried. */
let partners: SandboxClient;

/** One activity that calls one partner. */
function scoredDefinition(partners: SandboxClient) {
  return defineWorkflow({
    type: 'traced-score',
    version: 1,
    machine: setup({ actors: { scorePayment: fromPromise<unknown, unknown>(async () => undefined) } }).createMachine({
      id: 'traced',
      initial: 'scoring',
      states: { scoring: { invoke: { id: 'score', src: 'scorePayment', onDone: 'done' } }, done: { type: 'final' } },
    }),
    input: z.object({}),
    exampleInput: {},
    activities: {
      scorePayment: {
        run: async (_input: unknown, ctx: ActivityContext) =>
          partners.fraud.score({ transactionId: ctx.workflowId, amount: { value: 100, currency: 'EUR' } }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal }),
      },
    },
  });
}

beforeAll(async () => {
  startTracing({ OTEL_SERVICE_NAME: 'statera-test' }, { spanProcessors: [new SimpleSpanProcessor(exporter)] });
  sandbox = await startSandbox({ port: 0 });
  const recording: typeof fetch = (input, init) => {
    sent.push(new Headers(init?.headers).get('traceparent'));
    baggage.push(new Headers(init?.headers).get('baggage'));
    return fetch(input, init);
  };
  partners = new SandboxClient({ baseUrl: sandbox.url, fetch: recording });
  api = await startHttpApp('tracing', [scoredDefinition(partners)]);
});
afterAll(async () => {
  await api.close();
  await sandbox.close();
  await stopTracing();
});

test('one trace spans the API request, the transition, the activity and the partner call', async () => {
  const res = await api.request('POST', '/v1/workflows', { type: 'traced-score', workflowId: 'traced-1', input: {} });
  expect(res.status).toBe(201);
  await waitFor(async () => (await api.request('GET', '/v1/workflows/traced-1')).body.status === 'completed', 'traced-1 to complete');

  const spans = await waitFor(async () => {
    const all = exporter.getFinishedSpans();
    return all.some((s) => s.name === 'fraud.score') && all.some((s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/workflows') ? all : undefined;
  }, 'the spans to end');
  const server = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/workflows')!;
  const traceId = server.spanContext().traceId;
  const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
  const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');

  const transition = inTrace.find((s) => s.name === 'statera.transition' && parentOf(s) === server);
  expect(transition).toBeDefined();
  const activity = inTrace.find((s) => s.name === 'statera.activity');
  expect(activity).toBeDefined();
  const partner = inTrace.find((s) => s.name === 'fraud.score')!;
  expect(partner).toBeDefined();
  expect(partner.kind).toBe(SpanKind.CLIENT);
  expect(parentOf(partner)).toBe(activity);
  expect(partner.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/fraud/scores', 'http.response.status_code': 201 });
  expect(server.attributes).toMatchObject({ 'http.route': '/v1/workflows', 'http.response.status_code': 201 });
  // The partner was told the trace too.
  expect(sent.some((h) => h?.split('-')[1] === traceId)).toBe(true);
});

test('a caller\'s baggage is neither stored with the workflow\'s jobs nor sent to partners', async () => {
  // Run here, the activity is eager: no job is stored at all, and the partner hears no baggage.
  const res = await api.request('POST', '/v1/workflows', { type: 'traced-score', workflowId: 'traced-carrier', input: {} }, { baggage: 'user.email=someone%40example.com' });
  expect(res.status).toBe(201);
  await waitFor(async () => (await api.request('GET', '/v1/workflows/traced-carrier')).body.status === 'completed', 'traced-carrier to complete');
  expect(baggage.filter((b) => b !== null)).toEqual([]);

  // Through BullMQ, the job is stored in the outbox with the trace and without the baggage.
  const queued = await startHttpApp('tracing-queued', [scoredDefinition(partners)], { env: { EAGER_ACTIVITIES: '0' } });
  try {
    const res2 = await queued.request('POST', '/v1/workflows', { type: 'traced-score', workflowId: 'traced-carrier', input: {} }, { baggage: 'user.email=someone%40example.com' });
    expect(res2.status).toBe(201);
    await waitFor(async () => (await queued.request('GET', '/v1/workflows/traced-carrier')).body.status === 'completed', 'traced-carrier to complete through BullMQ');
    const rows = await query(queued.db.dataSource, `SELECT payload::text AS p FROM outbox WHERE workflow_id = 'traced-carrier'`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.p.includes('traceparent'))).toBe(true);
    expect(rows.some((r) => r.p.includes('example.com') || r.p.includes('baggage'))).toBe(false);
    expect(baggage.filter((b) => b !== null)).toEqual([]);
  } finally {
    await queued.close();
  }
});

test('a caller that sends traceparent has the request joined to its trace', async () => {
  const caller = '0af7651916cd43dd8448eb211c80319c';
  await api.request('GET', '/v1/workflows/traced-1', undefined, { traceparent: `00-${caller}-b7ad6b7169203331-01` });
  const span = await waitFor(async () => exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === caller), 'the server span');
  expect(span.name).toBe('GET /v1/workflows/:id');
  expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
});
