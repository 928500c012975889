import { approval, counter, flaky } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { inTransaction, query } from '../../src/engine/store/sql';
import { verifyChains } from '../../src/audit/chain-verifier';
import { runVerifyCli } from '../../src/audit/verify-cli';
import { exportBatches } from '../../src/audit/history-export';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('audit_verify', [approval, counter, flaky]);
});
afterAll(() => h.close());

/** Rewrites history the only way it can be: as the table's owner, with its triggers off. */
async function tamper(...statements: [string, unknown[]][]): Promise<void> {
  await inTransaction(h.db.dataSource, async (tx) => {
    // The deferred foreign-key checks would otherwise still be pending at ENABLE TRIGGER.
    await tx.rows('SET CONSTRAINTS ALL IMMEDIATE');
    await tx.rows('ALTER TABLE workflow_history DISABLE TRIGGER USER');
    for (const [sql, params] of statements) await tx.rows(sql, params);
    await tx.rows('ALTER TABLE workflow_history ENABLE TRIGGER USER');
  });
}

async function startCounter(id: string, signals: number): Promise<void> {
  await h.runtime.engine.start({ type: 'test-counter', workflowId: id, input: { limit: 100 } }, USER);
  for (let i = 0; i < signals; i++) await h.runtime.engine.signal(id, { type: 'counter.incremented' } as never, USER);
  expect((await h.history(id)).length).toBeGreaterThanOrEqual(signals + 1);
}

test('a busy run verifies, in any batch size, for all instances and for one', async () => {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const id = `busy-${String(i).padStart(2, '0')}`;
      ids.push(id);
      if (i % 3 === 0) {
        await h.runtime.engine.start({ type: 'test-counter', workflowId: id, input: { limit: 4 } }, USER);
        // Concurrent signals, some beyond the limit: rejected ones are recorded too.
        await Promise.allSettled(Array.from({ length: 6 }, () => h.runtime.engine.signal(id, { type: 'counter.incremented' } as never, USER)));
      } else if (i % 3 === 1) {
        await h.runtime.engine.start({ type: 'test-approval', workflowId: id, input: { timeoutMs: 60_000 } }, USER);
        await Promise.allSettled(Array.from({ length: 3 }, () => h.runtime.engine.signal(id, { type: 'approval.granted' } as never, USER)));
      } else {
        await h.runtime.engine.start({ type: 'test-flaky', workflowId: id, input: { failures: 1 } }, USER);
      }
    }),
  );
  for (const id of ids.filter((_, i) => i % 3 === 2)) await h.until(id, ['completed', 'failed']);

  const [{ count }] = await query(h.db.dataSource, 'SELECT count(*)::int AS count FROM workflow_history');
  const report = await verifyChains(h.db.dataSource, {});
  expect(report).toEqual({ verified: true, instances: 30, records: count });
  expect(count).toBeGreaterThan(90);
  // Batches that split instances anywhere give the same answer.
  for (const batchSize of [1, 7, 50]) expect(await verifyChains(h.db.dataSource, { batchSize })).toEqual(report);
  const one = await verifyChains(h.db.dataSource, { workflowId: 'busy-00', batchSize: 2 });
  expect(one).toEqual({ verified: true, instances: 1, records: (await h.history('busy-00')).length });
  await expect(verifyChains(h.db.dataSource, { workflowId: 'no-such-workflow' })).rejects.toMatchObject({ code: 'workflow_not_found' });
});

test('tampering is found at the exact workflow and seq', async () => {
  for (const id of ['t-edit', 't-gap', 't-swap', 't-tail']) await startCounter(id, 5);

  // (a) an edited record
  await tamper([`UPDATE workflow_history SET reason = 'edited', event = '{"type":"counter.incremented","amount":1000}' WHERE workflow_id = $1 AND seq = 3`, ['t-edit']]);
  // (b) a deleted record in the middle
  await tamper([`DELETE FROM workflow_history WHERE workflow_id = $1 AND seq = 4`, ['t-gap']]);
  // (c) two records reordered: seq 2 and 3 swapped through a temporary seq
  await tamper(
    [`UPDATE workflow_history SET seq = -1 WHERE workflow_id = $1 AND seq = 2`, ['t-swap']],
    [`UPDATE workflow_history SET seq = 2 WHERE workflow_id = $1 AND seq = 3`, ['t-swap']],
    [`UPDATE workflow_history SET seq = 3 WHERE workflow_id = $1 AND seq = -1`, ['t-swap']],
  );
  // (d) the last record deleted
  const tail = (await h.history('t-tail')).length;
  await tamper([`DELETE FROM workflow_history WHERE workflow_id = $1 AND seq = $2`, ['t-tail', tail]]);

  const db = h.db.dataSource;
  for (const batchSize of [undefined, 1, 3]) {
    expect((await verifyChains(db, { workflowId: 't-edit', batchSize })).firstFailure).toMatchObject({ workflowId: 't-edit', seq: 3, reason: 'hash mismatch' });
    expect((await verifyChains(db, { workflowId: 't-gap', batchSize })).firstFailure).toMatchObject({ workflowId: 't-gap', seq: 4, reason: 'sequence gap' });
    expect((await verifyChains(db, { workflowId: 't-swap', batchSize })).firstFailure).toMatchObject({ workflowId: 't-swap', seq: 2 });
    expect((await verifyChains(db, { workflowId: 't-tail', batchSize })).firstFailure).toMatchObject({ workflowId: 't-tail', seq: tail, reason: 'head mismatch' });
  }
  expect((await verifyChains(db, { workflowId: 't-swap' })).firstFailure?.reason).toBe('broken link');
  // The untouched instances still verify; across all, the first failure in (workflow_id, seq) order.
  expect((await verifyChains(db, { workflowId: 'busy-00' })).verified).toBe(true);
  const all = await verifyChains(db, { batchSize: 4 });
  expect(all).toMatchObject({ verified: false, instances: 34, firstFailure: { workflowId: 't-edit', seq: 3, reason: 'hash mismatch' } });

  // The command line: 1 with the failure, 0 verified, 2 on usage and connection errors.
  const lines: string[] = [];
  const cli = (args: string[], url = h.db.url) => runVerifyCli(args, { DATABASE_URL: url }, (l) => lines.push(l), (l) => lines.push(l));
  expect(await cli(['t-gap'])).toBe(1);
  expect(lines.at(-1)).toMatch(/workflow t-gap seq 4: sequence gap/);
  expect(await cli(['busy-01'])).toBe(0);
  expect(lines.at(-1)).toMatch(/^verified: workflow busy-01/);
  expect(await cli(['a', 'b'])).toBe(2);
  expect(await cli(['nope'])).toBe(2);
  expect(lines.at(-1)).toBe('audit:verify: no workflow nope');
  expect(await cli([], 'postgres://postgres@127.0.0.1:1/statera')).toBe(2);
  expect(lines.at(-1)).toMatch(/^audit:verify: cannot connect/);
});

test('the export pages through the window in keyset batches without losing or repeating a record', async () => {
  const collect = async (batchSize: number, filter: { from?: string; to?: string; type?: string } = {}) => {
    const out: string[] = [];
    for await (const batch of exportBatches(h.db.dataSource, { ...filter, batchSize })) {
      expect(batch.length).toBeLessThanOrEqual(batchSize);
      out.push(...batch.map((r) => `${r.workflowId}#${r.seq}#${r.type}`));
    }
    return out;
  };
  const whole = await collect(10_000);
  const [{ count }] = await query(h.db.dataSource, 'SELECT count(*)::int AS count FROM workflow_history');
  expect(whole).toHaveLength(count);
  expect(new Set(whole).size).toBe(count);
  expect(await collect(7)).toEqual(whole);
  const counters = await collect(5, { type: 'test-counter', from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z' });
  expect(counters).toEqual(whole.filter((r) => r.endsWith('#test-counter')));
  expect(await collect(5, { to: '2000-01-01T00:00:00Z' })).toEqual([]);
});
