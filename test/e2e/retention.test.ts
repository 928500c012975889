import { query } from '../../src/engine/store/sql';
import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';

// Retention with RETENTION_ENDED_DAYS at about a second: an ended transfer loses its snapshot,
// input, output and invocation rows; its history stays and still verifies; a live one is left.

let h: HttpHarness;
let auditor: string;
const transfer = (id: string) => ({ type: 'demo-transfer', workflowId: id, input: { transferId: id, amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts: 0 } });
const rowsOf = async (id: string) => {
  const counts: Record<string, number> = {};
  for (const table of ['activity', 'timer', 'effect', 'outbox', 'workflow_history']) {
    const [{ n }] = await query<{ n: string }>(h.db.dataSource, `SELECT count(*) AS n FROM ${table} WHERE workflow_id = $1`, [id]);
    counts[table] = Number(n);
  }
  return counts;
};

beforeAll(async () => {
  h = await startHttpApp('retention', [], { env: { RETENTION_ENDED_DAYS: String(1 / 86_400), RETENTION_INTERVAL_MS: '300' } });
  auditor = await h.createKey({ id: 'ret-aud', roles: ['auditor'] });
}, 60_000);
afterAll(() => h?.close());

test('an ended instance past its retention keeps its history and chain, loses its data and invocation rows; a live one is left', async () => {
  expect((await h.request('POST', '/v1/workflows', transfer('ret-1'))).status).toBe(201);
  expect((await h.request('POST', '/v1/workflows', transfer('ret-live'))).status).toBe(201);
  await waitFor(async () => (await h.request('GET', '/v1/workflows/ret-1')).body.state === 'awaitingApproval', 'ret-1 to wait for approval');
  expect((await h.request('POST', '/v1/workflows/ret-1/events', { type: 'transfer.approved', approver: 'ops-1' })).status).toBe(200);
  await waitFor(async () => (await rowsOf('ret-1')).effect > 0 && (await h.request('GET', '/v1/workflows/ret-1')).body.status === 'completed', 'ret-1 to complete');
  const before = await rowsOf('ret-1');
  expect(before.activity + before.timer + before.effect).toBeGreaterThan(0);

  const pruned = await waitFor(async () => {
    const w = (await h.request('GET', '/v1/workflows/ret-1')).body;
    return w.prunedAt && w;
  }, 'retention to prune ret-1', 20_000, 200);
  expect(pruned).toMatchObject({ status: 'completed', outcome: 'success', state: 'completed', context: null, input: {}, output: null });
  expect(await rowsOf('ret-1')).toEqual({ activity: 0, timer: 0, effect: 0, outbox: 0, workflow_history: before.workflow_history });
  // The audit trail is whole: the chain verifies, the history reads, the diagram draws.
  const verified = await h.as(auditor)('GET', '/v1/audit/verify?workflowId=ret-1');
  expect(verified.status).toBe(200);
  expect(verified.body).toMatchObject({ verified: true, instances: 1, records: before.workflow_history });
  expect((await h.request('GET', '/v1/workflows/ret-1/history')).body.items.length).toBe(before.workflow_history);
  expect((await h.request('GET', '/v1/workflows/ret-1/diagram?format=svg')).status).toBe(200);
  // A late signal is refused as for any ended workflow.
  expect((await h.request('POST', '/v1/workflows/ret-1/events', { type: 'transfer.approved', approver: 'ops-1' })).status).toBe(409);
  // The live one waits for its approval with everything it had.
  const live = (await h.request('GET', '/v1/workflows/ret-live')).body;
  expect(live).toMatchObject({ prunedAt: null, status: 'waiting' });
  expect(live.context).toMatchObject({ transferId: 'ret-live' });
}, 60_000);
