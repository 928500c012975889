import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine';
import { startHttpApp, type HttpHarness } from '../support/http-app';

// A callback the state takes only for its own reference, and one guard left undescribed.
const callback = defineWorkflow({
  type: 'test-callback',
  version: 1,
  machine: setup({
    types: { input: {} as { ref: string }, context: {} as { ref: string }, events: {} as { type: 'confirmed'; reference: string } | { type: 'poked' } },
    guards: { isOurReference: ({ context }, params: { reference: string }) => params.reference === context.ref, never: () => false },
  }).createMachine({
    id: 'callback',
    context: ({ input }) => ({ ref: input.ref }),
    initial: 'awaiting',
    states: {
      awaiting: {
        on: {
          confirmed: { guard: { type: 'isOurReference', params: ({ event }) => event }, target: 'done', description: "the reference must be this workflow's own ref" },
          poked: { guard: 'never', target: 'done' },
        },
      },
      done: { type: 'final' },
    },
  }),
  input: z.object({ ref: z.string() }),
  exampleInput: { ref: 'R-1' },
  events: { confirmed: z.object({ reference: z.string() }), poked: z.object({}) },
});

let api: HttpHarness;
beforeAll(async () => {
  api = await startHttpApp('refused', [callback]);
});
afterAll(() => api.close());

test("a refused event's 409 names the guard that refused it and what it needs; a workflow that ended names none", async () => {
  expect((await api.request('POST', '/v1/workflows', { type: 'test-callback', workflowId: 'cb-1', input: { ref: 'R-1' } })).status).toBe(201);
  const wrong = await api.request('POST', '/v1/workflows/cb-1/events', { type: 'confirmed', reference: 'R-2' });
  expect(wrong.status).toBe(409);
  expect(wrong.body.detail).toContain("guard isOurReference refused it (the reference must be this workflow's own ref)");
  expect(wrong.body.refusedBy).toEqual([{ guard: 'isOurReference', description: "the reference must be this workflow's own ref" }]);
  const poked = await api.request('POST', '/v1/workflows/cb-1/events', { type: 'poked' });
  expect(poked.status).toBe(409);
  expect(poked.body.refusedBy).toEqual([{ guard: 'never' }]);

  const right = await api.request('POST', '/v1/workflows/cb-1/events', { type: 'confirmed', reference: 'R-1' });
  expect(right.status).toBe(200);
  const late = await api.request('POST', '/v1/workflows/cb-1/events', { type: 'confirmed', reference: 'R-1' });
  expect(late.status).toBe(409);
  expect(late.body.refusedBy).toBeUndefined();
});

test('a start of an unknown type names the known ones; an unknown version of a known type, its versions', async () => {
  const unknown = await api.request('POST', '/v1/workflows', { type: 'test-calback', input: {} });
  expect(unknown.body.detail).toContain('known types: ');
  expect(unknown.body.knownTypes).toContain('test-callback');
  const version = await api.request('POST', '/v1/workflows', { type: 'test-callback', version: 7, input: { ref: 'x' } });
  expect(version.body.detail).toContain('versions registered: 1');
  expect(version.body.versions).toEqual([1]);
  expect([unknown.status, version.status]).toEqual([404, 404]);
});

test('the OpenAPI document has a start body per type with its input schema and an example that starts, an event body per event type, and the API key format', async () => {
  const doc = (await api.request('GET', '/docs-json')).body;
  expect(doc.components.securitySchemes.bearer).toMatchObject({ scheme: 'bearer', bearerFormat: 'API key (stk_…)' });
  const start = doc.paths['/v1/workflows'].post.requestBody.content['application/json'];
  expect(start.schema.discriminator.propertyName).toBe('type');
  expect(start.schema.oneOf).toContainEqual({ $ref: '#/components/schemas/Start_test_callback' });
  const schema = doc.components.schemas.Start_test_callback;
  expect(schema.properties.type.enum).toEqual(['test-callback']);
  expect(schema.properties.input).toMatchObject({ type: 'object', required: ['ref'] });
  // The example, sent as it stands, starts a workflow.
  const example = start.examples['test-callback'].value;
  expect((await api.request('POST', '/v1/workflows', example)).status).toBe(201);

  const events = doc.paths['/v1/workflows/{id}/events'].post.requestBody.content['application/json'].schema;
  const confirmed = events.oneOf.find((o: any) => o.title === 'confirmed');
  expect(confirmed.allOf[0].properties.type.enum).toEqual(['confirmed']);
  expect(confirmed.allOf[1]).toMatchObject({ type: 'object', required: ['reference'] });
});
