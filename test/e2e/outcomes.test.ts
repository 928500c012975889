import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine';
import { DefinitionRegistry } from '../../src/engine/definition/registry';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { waitFor } from '../support/env';

// One decision, four endings: a success that declares nothing, a rejection and a failure the
// final states declare, and the machine's own `failed` tag.
const decided = defineWorkflow({
  type: 'test-outcomes',
  version: 1,
  machine: setup({ types: { events: {} as { type: 'approve' } | { type: 'decline' } | { type: 'break' } | { type: 'crash' } } }).createMachine({
    id: 'outcomes',
    initial: 'deciding',
    states: {
      deciding: { on: { approve: 'approved', decline: 'declined', break: 'broken', crash: 'crashed' } },
      approved: { type: 'final' },
      declined: { type: 'final', meta: { outcome: 'rejection' } },
      broken: { type: 'final', meta: { outcome: 'failure' } },
      crashed: { type: 'final', tags: ['failed'] },
    },
  }),
  input: z.object({}),
  exampleInput: {},
});

let api: HttpHarness;
beforeAll(async () => {
  api = await startHttpApp('outcomes', [decided]);
});
afterAll(() => api.close());

async function ended(id: string, event: string) {
  expect((await api.request('POST', '/v1/workflows', { type: 'test-outcomes', workflowId: id, input: {} })).status).toBe(201);
  expect((await api.request('POST', `/v1/workflows/${id}/events`, { type: event })).status).toBe(200);
  return waitFor(async () => {
    const res = await api.request('GET', `/v1/workflows/${id}`);
    return res.body.endedAt ? res.body : undefined;
  }, `${id} to end`);
}

test('an ended workflow carries its business outcome beside its status; a live one none', async () => {
  expect((await api.request('POST', '/v1/workflows', { type: 'test-outcomes', workflowId: 'o-live', input: {} })).body).toMatchObject({ status: 'waiting', outcome: null });
  expect(await ended('o-ok', 'approve')).toMatchObject({ status: 'completed', outcome: 'success' });
  expect(await ended('o-no', 'decline')).toMatchObject({ status: 'completed', outcome: 'rejection', state: 'declined' });
  expect(await ended('o-broken', 'break')).toMatchObject({ status: 'completed', outcome: 'failure' });
  expect(await ended('o-crash', 'crash')).toMatchObject({ status: 'failed', outcome: 'failure' });
  const cancelled = await api.request('POST', '/v1/workflows/o-live/cancel', { reason: 'not needed' });
  expect(cancelled.body).toMatchObject({ status: 'cancelled', outcome: 'cancelled' });

  // The history's end record says it too.
  const history = (await api.request('GET', '/v1/workflows/o-no/history')).body.items;
  expect(history.at(-1)).toMatchObject({ kind: 'workflow.completed', data: { outcome: 'rejection' } });
});

test('the list filters by outcome, and the overview counts ended workflows by type and outcome', async () => {
  const failures = await api.request('GET', '/v1/workflows?type=test-outcomes&outcome=failure');
  expect(failures.body.items.map((w: any) => w.id).sort()).toEqual(['o-broken', 'o-crash']);
  expect(failures.body.items.every((w: any) => w.outcome === 'failure')).toBe(true);
  const bad = await api.request('GET', '/v1/workflows?outcome=bad');
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].field).toBe('outcome');

  const overview = await waitFor(async () => {
    const res = await api.request('GET', '/v1/stats/overview');
    return res.body.outcomes?.some((o: any) => o.outcome === 'cancelled') ? res.body : undefined;
  }, 'the overview to count the cancelled one');
  const mine = Object.fromEntries(overview.outcomes.filter((o: any) => o.type === 'test-outcomes').map((o: any) => [o.outcome, o.count]));
  expect(mine).toEqual({ success: 1, rejection: 1, failure: 2, cancelled: 1 });
});

test('a definition that declares an outcome on a state that is not final, or an unknown one, is refused at registration', () => {
  const machine = (meta: Record<string, unknown>, final: boolean) =>
    setup({}).createMachine({ id: 'm', initial: 'a', states: { a: { on: { go: 'b' } }, b: final ? { type: 'final', meta } : { meta } } });
  const define = (meta: Record<string, unknown>, final: boolean) => defineWorkflow({ type: 'test-bad-outcome', version: 1, machine: machine(meta, final), input: z.object({}), exampleInput: {} });
  expect(() => new DefinitionRegistry([define({ outcome: 'rejection' }, false)])).toThrow('state "b" declares meta.outcome but is not a final state');
  expect(() => new DefinitionRegistry([define({ outcome: 'meh' }, true)])).toThrow('use one of success, rejection, failure');
  expect(() => new DefinitionRegistry([define({ outcome: 'failure' }, true)])).not.toThrow();
});
