import { flaky, parent, child, counter, quirks } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { GENESIS_HASH, hashRecord, recordFromRow } from '../../src/engine/store/history';
import { query } from '../../src/engine/store/sql';
import { waitFor } from '../support/env';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('chain', [flaky, parent, child, counter, quirks]);
});
afterAll(() => h.close());

test('every stored history record rehashes to its stored hash, linked from the genesis hash', async () => {
  await h.runtime.engine.start({ type: 'test-flaky', workflowId: 'chain-flaky', input: { failures: 1 } }, USER);
  await h.runtime.engine.start({ type: 'test-parent', workflowId: 'chain-parent', input: { n: 3.5 } }, USER);
  await h.runtime.engine.start({ type: 'test-quirks', workflowId: 'chain-poison', input: { poison: true } }, USER);
  const { workflow } = await h.runtime.engine.start({ type: 'test-counter', workflowId: 'chain-counter', input: { limit: 5 } }, { actor: 'test:ünïcode', origin: { requestId: 'r-1', clientAddress: '::1' } });
  await Promise.allSettled(Array.from({ length: 8 }, () => h.runtime.engine.signal(workflow.id, { type: 'counter.incremented', note: 'é\u{1F600}', big: 1e21, nested: { b: [1, null], a: 0.1 } } as never, USER)));
  for (const id of ['chain-flaky', 'chain-parent']) await h.until(id, ['completed', 'failed']);
  // The poisoned one keeps its state with an incident, recorded in its chain like any other fact.
  await waitFor(async () => (await query(h.db.dataSource, `SELECT 1 FROM incident WHERE workflow_id = 'chain-poison'`)).length > 0, 'the incident on chain-poison');

  const rows = await query(h.db.dataSource, 'SELECT * FROM workflow_history ORDER BY workflow_id, seq');
  expect(rows.length).toBeGreaterThan(20);
  let previous: { workflowId: string; hash: string } | undefined;
  for (const row of rows) {
    const record = recordFromRow(row);
    const { hash, ...hashed } = record;
    expect({ id: record.workflowId, seq: record.seq, hash: hashRecord(hashed) }).toEqual({ id: record.workflowId, seq: record.seq, hash });
    const expectedPrev = previous?.workflowId === record.workflowId ? previous.hash : GENESIS_HASH;
    expect(record.prevHash).toBe(expectedPrev);
    previous = { workflowId: record.workflowId, hash };
  }
  // The instance row's head is the last record's hash.
  const heads = await query(h.db.dataSource, 'SELECT id, history_seq, history_head FROM workflow_instance');
  for (const head of heads) {
    const last = rows.filter((r) => r.workflow_id === head.id).pop();
    expect({ id: head.id, seq: head.history_seq, hash: head.history_head }).toEqual({ id: head.id, seq: last.seq, hash: last.hash });
  }
});

test('the database refuses to rewrite history', async () => {
  await expect(query(h.db.dataSource, `UPDATE workflow_history SET reason = 'edited' WHERE seq = 1`)).rejects.toThrow(/append-only/);
  await expect(query(h.db.dataSource, `DELETE FROM workflow_history WHERE seq = 1`)).rejects.toThrow(/append-only/);
  await expect(query(h.db.dataSource, `TRUNCATE workflow_history CASCADE`)).rejects.toThrow(/append-only/);
});
