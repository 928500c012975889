import { EngineRuntime } from '../../src/engine/runtime';
import { query } from '../../src/engine/store/sql';
import { buggyDefinition, incidentAttempts, incidentDefinitions, odd, partner, pausable, strict } from '../support/incident-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { REDIS_URL, waitFor } from '../support/env';

let h: Harness;
const OPERATOR = { actor: 'principal:op-1' };

beforeAll(async () => {
  h = await startHarness('incidents', incidentDefinitions);
});

afterAll(async () => {
  await h.close();
});

const incidentsOf = (id: string) => query(h.db.dataSource, 'SELECT * FROM incident WHERE workflow_id = $1 ORDER BY created_at', [id]);
const openIncident = (id: string) => waitFor(async () => (await incidentsOf(id)).find((i) => i.status === 'open'), `an open incident on ${id}`);
const kinds = async (id: string) => (await h.history(id)).map((r) => r.kind);

/** The same database and queue prefix, other definitions: a redeployed process. */
async function redeploy(definitions: Parameters<typeof startHarness>[1]): Promise<void> {
  await h.runtime.stop();
  h.runtime = new EngineRuntime({
    dataSource: h.db.dataSource,
    redisUrl: REDIS_URL,
    queuePrefix: h.prefix,
    definitions,
    workers: true,
    sweepIntervalMs: 500,
    worker: { lockDurationMs: 5000, stalledIntervalMs: 1000 },
    log: () => undefined,
  });
  await h.runtime.start();
}

test('a machine bug opens an incident, keeps state and input; a retry after the fixed definition is deployed completes it', async () => {
  await h.runtime.engine.start({ type: 'incident-buggy', workflowId: 'bug-1', input: { amount: 10 } }, USER);
  const answer = await h.runtime.engine.signal('bug-1', { type: 'go' }, USER);
  expect(answer.held).toMatchObject({ reason: 'incident' });
  const [incident] = await incidentsOf('bug-1');
  expect(incident).toMatchObject({ kind: 'machine_error', status: 'open', input: { kind: 'signal', event: { type: 'go' } } });
  expect(incident.error.message).toMatch(/threw on go: [\s\S]*reading 'limit'/);
  expect(incident.error.stack).toBeUndefined();
  const before = await h.get('bug-1');
  expect(before.status).not.toBe('failed');
  expect(before.state).toBe('idle');
  expect(before.raw.open_incidents).toBe(1);

  // Retrying on the same (buggy) code fails again: the incident stays open with the new attempt counted.
  await expect(h.runtime.operations.retry('default', incident.id, { actor: OPERATOR, reason: 'try again' })).rejects.toMatchObject({ code: 'incident_retry_failed' });
  expect((await incidentsOf('bug-1'))[0]).toMatchObject({ status: 'open', retries: 1 });

  await redeploy([buggyDefinition(true), strict, odd, pausable]);
  const { incident: after, workflow } = await h.runtime.operations.retry('default', incident.id, { actor: OPERATOR, reason: 'fix deployed' });
  expect(after).toMatchObject({ status: 'resolved', resolution: 'retried', resolvedBy: 'principal:op-1', resolveReason: 'fix deployed' });
  expect(workflow.state).toBe('charging');
  const done = await h.until('bug-1', ['completed']);
  expect(done.state).toBe('done');
  const history = await h.history('bug-1');
  const retried = history.find((r) => r.kind === 'incident.retried');
  expect(retried).toMatchObject({ actor: 'principal:op-1', reason: 'fix deployed' });
  expect(history.map((r) => r.kind)).toEqual(expect.arrayContaining(['incident.opened', 'incident.retry.failed', 'incident.retried', 'workflow.completed']));
  // The restored definition keeps the other tests' types.
  await redeploy(incidentDefinitions);
});

test('an exhausted activity with no onError is an incident; retried after the partner recovers it runs with a fresh budget and completes', async () => {
  partner.down = true;
  await h.runtime.engine.start({ type: 'incident-strict', workflowId: 'strict-1', input: {} }, USER);
  const incident = await openIncident('strict-1');
  expect(incident).toMatchObject({ kind: 'activity_exhausted' });
  expect(incident.error.message).toMatch(/incident-strict@1: the failure of partner is not handled in "calling" \(no onError\): partner answered 503/);
  const w = await h.get('strict-1');
  expect(w.status).toBe('running');
  expect(w.state).toBe('calling');
  // Nothing re-sends it on its own: sweeps come and go, no third attempt.
  await h.runtime.sweepNow();
  await new Promise((r) => setTimeout(r, 700));
  expect(incidentAttempts.filter((a) => a.idempotencyKey === 'strict-1/partner/1').map((a) => a.attempt)).toEqual([1, 2]);

  partner.down = false;
  await h.runtime.operations.retry('default', incident.id, { actor: OPERATOR, reason: 'partner is back' });
  const done = await h.until('strict-1', ['completed']);
  expect(done.context).toMatchObject({ result: { ok: true } });
  // The same invocation and key, attempts counted on.
  expect(incidentAttempts.filter((a) => a.idempotencyKey === 'strict-1/partner/1').map((a) => a.attempt)).toEqual([1, 2, 3]);
});

test('resolve discards the kept input and the workflow goes on with the inputs held behind it', async () => {
  partner.down = true;
  await h.runtime.engine.start({ type: 'incident-strict', workflowId: 'strict-2', input: {} }, USER);
  const incident = await openIncident('strict-2');
  partner.down = false;
  await h.runtime.operations.resolve('default', incident.id, { actor: OPERATOR, reason: 'handled by hand' });
  const [after] = await incidentsOf('strict-2');
  expect(after).toMatchObject({ status: 'resolved', resolution: 'resolved' });
  const w = await h.get('strict-2');
  expect(w.raw.open_incidents).toBe(0);
  expect(w.state).toBe('calling');
  expect(await kinds('strict-2')).toContain('incident.resolved');
  await h.runtime.operations.terminate('strict-2', { actor: OPERATOR, reason: 'closed by hand' });
});

test.each(['bigint', 'sync'] as const)('a %s outcome is counted as an attempt and ends in an incident, not a loop', async (mode) => {
  const id = `odd-${mode}`;
  await h.runtime.engine.start({ type: 'incident-odd', workflowId: id, input: { mode } }, USER);
  const incident = await openIncident(id);
  expect(incident.kind).toBe('activity_exhausted');
  expect(incident.input.result.error.message).toMatch(mode === 'bigint' ? /not plain JSON/ : /thrown synchronously/);
  await h.runtime.sweepNow();
  await new Promise((r) => setTimeout(r, 1000));
  await h.runtime.sweepNow();
  const mine = incidentAttempts.filter((a) => a.idempotencyKey === `${id}/odd/1`).map((a) => a.attempt);
  // Not JSON: not retryable (the partner answered; asking again gives the same). A throw: the policy's two attempts.
  expect(mine).toEqual(mode === 'bigint' ? [1] : [1, 2]);
  const [row] = await query(h.db.dataSource, `SELECT status, attempts FROM activity WHERE workflow_id = $1`, [id]);
  expect(row).toMatchObject({ status: 'held', attempts: mode === 'bigint' ? 1 : 2 });
});

test('pause holds a timer fire and a signal until resume, then applies them in arrival order', async () => {
  await h.runtime.engine.start({ type: 'incident-pausable', workflowId: 'pause-1', input: { tickMs: 400 } }, USER);
  const paused = await h.runtime.operations.pause('pause-1', { actor: OPERATOR, reason: 'investigating' });
  expect(paused.status).toBe('paused');
  // The timer comes due while paused; it is held, not applied.
  await waitFor(async () => (await kinds('pause-1')).includes('input.held'), 'the timer fire to be held');
  const signal = await h.runtime.engine.signal('pause-1', { type: 'note.added' }, USER);
  expect(signal.held).toEqual({ reason: 'paused' });
  const still = await h.get('pause-1');
  expect(still).toMatchObject({ status: 'paused', state: 'waiting' });
  expect(still.raw.held_inputs).toBe(2);
  await expect(h.runtime.operations.pause('pause-1', { actor: OPERATOR, reason: 'again' })).rejects.toMatchObject({ code: 'workflow_paused' });

  const resumed = await h.runtime.operations.resume('pause-1', { actor: OPERATOR, reason: 'all clear' });
  // Timer first (to `ticked`), then the signal (to `noted`): the order they arrived in.
  expect(resumed).toMatchObject({ status: 'completed', state: 'noted' });
  const history = await h.history('pause-1');
  const order = history.filter((r) => ['workflow.paused', 'input.held', 'workflow.resumed', 'timer.fired', 'event.received'].includes(r.kind)).map((r) => r.kind);
  expect(order).toEqual(['workflow.paused', 'input.held', 'input.held', 'workflow.resumed', 'timer.fired', 'event.received']);
  expect(history.find((r) => r.kind === 'workflow.paused')).toMatchObject({ actor: 'principal:op-1', reason: 'investigating' });
  await expect(h.runtime.operations.resume('pause-1', { actor: OPERATOR, reason: 'x' })).rejects.toMatchObject({ code: 'workflow_terminal' });
});

test('a crash between resume and the drain leaves nothing behind: the backlog drainer applies the held inputs', async () => {
  await h.runtime.engine.start({ type: 'incident-pausable', workflowId: 'pause-2', input: { tickMs: 60_000 } }, USER);
  await h.runtime.operations.pause('pause-2', { actor: OPERATOR, reason: 'hold on' });
  await h.runtime.engine.signal('pause-2', { type: 'note.added' }, USER);
  // A resume committed without its drain (as if the process died right after).
  await h.runtime.engine.withInstance('pause-2', OPERATOR, async (step) => {
    step.row.status = 'waiting';
  });
  expect((await h.get('pause-2')).state).toBe('waiting');
  // A new input queues behind the held one instead of overtaking it.
  const queued = await h.runtime.engine.signal('pause-2', { type: 'note.added' }, USER);
  expect(queued.held).toEqual({ reason: 'queued' });
  expect(await h.runtime.operations.drainBacklog()).toBeGreaterThanOrEqual(1);
  const w = await h.get('pause-2');
  expect(w).toMatchObject({ status: 'completed', state: 'early' });
  expect(w.raw.held_inputs).toBe(0);
});

test('terminate ends at once without compensation; timers are cancelled; a terminated workflow takes no input', async () => {
  await h.runtime.engine.start({ type: 'incident-pausable', workflowId: 'term-1', input: { tickMs: 60_000 } }, USER);
  const view = await h.runtime.operations.terminate('term-1', { actor: OPERATOR, reason: 'duplicate payment' });
  expect(view.status).toBe('terminated');
  expect(view.error).toMatchObject({ name: 'WorkflowTerminated' });
  const [timer] = await query(h.db.dataSource, `SELECT status FROM timer WHERE workflow_id = 'term-1'`);
  expect(timer.status).toBe('cancelled');
  const history = await h.history('term-1');
  expect(history.map((r) => r.kind)).toEqual(expect.arrayContaining(['workflow.terminate.requested', 'workflow.terminated']));
  expect(history.map((r) => r.kind)).not.toContain('cancellation.requested');
  await expect(h.runtime.operations.terminate('term-1', { actor: OPERATOR, reason: 'again' })).rejects.toMatchObject({ code: 'workflow_terminal' });
  await expect(h.runtime.engine.signal('term-1', { type: 'note.added' }, USER)).rejects.toMatchObject({ code: 'event_not_accepted' });
});

test('a job delivered again after its attempt committed changes nothing (once and only once)', async () => {
  partner.down = false;
  await h.runtime.engine.start({ type: 'incident-strict', workflowId: 'oaoo-1', input: {} }, USER);
  const done = await h.until('oaoo-1', ['completed']);
  const [a] = await query(h.db.dataSource, `SELECT * FROM activity WHERE workflow_id = 'oaoo-1'`);
  const job = { workflowId: 'oaoo-1', invocationId: a.id, type: 'incident-strict', version: 1, src: 'partnerCall', activityId: 'partner', input: {}, idempotencyKey: a.idempotency_key, attemptsBefore: 0 };
  const calls = () => incidentAttempts.filter((x) => x.idempotencyKey === a.idempotency_key).length;
  const callsBefore = calls();
  // The result delivered again, and the job itself run again by a worker.
  await h.runtime.engine.applyInput({ kind: 'activity', job, result: { ok: true, output: { ok: true }, worker: 'test' } });
  await h.runtime.queues.queues.activities.add('partnerCall', job, { jobId: `again-${a.id}` });
  await new Promise((r) => setTimeout(r, 700));
  const after = await h.get('oaoo-1');
  expect(after).toMatchObject({ status: 'completed', version: done.version, state: done.state, output: done.output });
  expect(calls()).toBe(callsBefore);
  expect((await h.history('oaoo-1')).filter((r) => r.kind === 'activity.completed')).toHaveLength(1);
});

test('the sweeper never re-sends an activity whose attempts are all spent: it opens an incident instead', async () => {
  partner.down = true;
  await h.runtime.engine.start({ type: 'incident-strict', workflowId: 'spent-1', input: {} }, USER);
  // Paused at once: its job waits, no attempt is made.
  await h.runtime.operations.pause('spent-1', { actor: OPERATOR, reason: 'hold' });
  const [a] = await query(h.db.dataSource, `SELECT id FROM activity WHERE workflow_id = 'spent-1'`);
  // An attempt that began before the pause finishes first; then the job waits (delayed), not running.
  await waitFor(async () => (await h.runtime.queues.queues.activities.getJobState(`a-${a.id}`)) === 'delayed', 'the job to wait');
  // As when BullMQ gave up on a job whose attempts never reported (the worker counts them), and then Redis lost its data.
  await query(h.db.dataSource, `UPDATE activity SET attempts = 2, updated_at = now() - interval '1 hour' WHERE id = $1`, [a.id]);
  // (Its parked job may still cycle between delayed and active: when it runs, the row is held and nothing is called.)
  await h.runtime.queues.queues.activities.remove(`a-${a.id}`).catch(() => 0);
  await h.runtime.queues.connection.del(`${h.prefix}:engine:epoch`);
  const before = incidentAttempts.filter((x) => x.idempotencyKey === 'spent-1/partner/1').length;
  await h.runtime.sweepNow();
  const incident = await openIncident('spent-1');
  expect(incident).toMatchObject({ kind: 'activity_exhausted', error: { name: 'AttemptsSpent' } });
  await h.runtime.operations.resume('spent-1', { actor: OPERATOR, reason: 'go on' });
  await new Promise((r) => setTimeout(r, 500));
  expect(incidentAttempts.filter((x) => x.idempotencyKey === 'spent-1/partner/1').length).toBe(before);
  expect((await h.get('spent-1')).state).toBe('calling');
  await h.runtime.operations.terminate('spent-1', { actor: OPERATOR, reason: 'done with it' });
});
