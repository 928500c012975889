import { createStateraClient, type Problem, type StateraClient, type Workflow, type WorkflowStatus } from '../../src/client';
import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';

/**
 * The typed client against the real API. The type-level checks below are the compiler's
 * (`npx tsc --noEmit`, part of `npm test`): jest strips types without checking them.
 */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typed = <T extends true>(proof: T) => proof;

let app: HttpHarness;
let statera: StateraClient;

beforeAll(async () => {
  app = await startHttpApp('typed_client');
  statera = createStateraClient({ baseUrl: `${app.url}/`, apiKey: await app.createKey({ id: 'ops-typed', roles: ['operator'] }) });
}, 60_000);
afterAll(() => app?.close());

const input = { transferId: 'T-typed', amount: { value: 2500, currency: 'EUR' as const }, from: 'A', to: 'B' };

test('typed calls: a start body checked per definition, a workflow whose fields are typed, a signal, a history', async () => {
  const started = await statera.POST('/v1/workflows', { body: { type: 'demo-transfer', workflowId: 'typed-1', input }, params: { header: { 'Idempotency-Key': 'typed-1' } } });
  expect(started.response.status).toBe(201);
  expect(started.data).toMatchObject({ id: 'typed-1', type: 'demo-transfer', definitionVersion: 1 });

  const waiting = await waitFor(async () => {
    const { data } = await statera.GET('/v1/workflows/{id}', { params: { path: { id: 'typed-1' } } });
    return data?.status === 'waiting' ? data : undefined;
  }, 'typed-1 to wait for its approval');
  typed<Equals<typeof waiting.status, WorkflowStatus>>(true);
  typed<Equals<typeof waiting.heldInputs, number>>(true);
  typed<Equals<typeof waiting.endedAt, string | null>>(true);
  // @ts-expect-error a status the API does not have is no status at all
  expect(waiting.status === 'sleeping').toBe(false);
  expect(waiting.heldInputs).toBe(0);

  const approved = await statera.POST('/v1/workflows/{id}/events', { params: { path: { id: 'typed-1' } }, body: { type: 'transfer.approved', approver: 'ops-1' } });
  expect(approved.data?.status).toBe('completed');

  const history = await statera.GET('/v1/workflows/{id}/history', { params: { path: { id: 'typed-1' } } });
  typed<Equals<NonNullable<typeof history.data>['items'][number]['seq'], number>>(true);
  expect(history.data?.items.map((r) => r.kind)).toContain('workflow.completed');

  const listed = await statera.GET('/v1/workflows', { params: { query: { type: 'demo-transfer', status: 'completed', limit: 10 } } });
  const workflows: Workflow[] = listed.data?.items ?? [];
  expect(workflows.map((w) => w.id)).toEqual(['typed-1']);
});

test('a refusal is the problem+json, typed as Problem; a text answer reads as text', async () => {
  const missing = await statera.GET('/v1/workflows/{id}', { params: { path: { id: 'no-such' } } });
  expect(missing.data).toBeUndefined();
  expect(missing.response.status).toBe(404);
  const problem: Problem | undefined = missing.error;
  expect(problem).toMatchObject({ status: 404, title: 'No such workflow', type: expect.stringMatching(/workflow-not-found$/) });

  const invalid = await statera.POST('/v1/workflows', { body: { type: 'demo-transfer', input: { ...input, amount: { value: -1, currency: 'EUR' } } } });
  expect(invalid.error?.errors?.map((e) => e.field)).toEqual(['input.amount.value']);

  const diagram = await statera.GET('/v1/definitions/{type}/{version}/diagram', { params: { path: { type: 'demo-transfer', version: '1' }, query: { format: 'mermaid' } }, parseAs: 'text' });
  expect(diagram.data).toMatch(/stateDiagram/);

  // @ts-expect-error a path the API does not have does not compile
  await statera.GET('/v1/nothing-here');
});
