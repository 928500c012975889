import type { EventObject } from 'xstate';
import { MachineError } from '../errors/machine.error';
import type { Actor } from '../store/history';
import { TASK_TIMER_PREFIX } from '../definition/human-task';
import type { ActivityJob, TimerJob } from '../store/jobs';
import type { Tx } from '../store/sql';
import type { Step } from './step';

/** `worker` names the process that ran the attempt (host/pid), for operators reading the history. */
export type ActivityResult = ({ ok: true; output: unknown } | { ok: false; error: unknown; attempts: number }) & { worker: string };

/** What the workers feed back, one at a time or several in one transaction. */
export type EngineInput = { kind: 'activity'; job: ActivityJob; result: ActivityResult } | { kind: 'timer'; job: TimerJob };

export function actorOf(input: EngineInput): Actor {
  return input.kind === 'activity' ? { actor: `activity:${input.job.src}` } : { actor: 'system:timer' };
}

export function describeInput(input: EngineInput): string {
  return input.kind === 'activity' ? `the result of activity ${input.job.activityId}` : `timer ${input.job.timerId}`;
}

/**
 * Applies one input to its locked instance, or keeps it (held) while the instance is paused or
 * has an open incident. A late one (its invocation or timer no longer wanted) is recorded as
 * discarded. `fromHeld`: the input was held before, and its row says so.
 */
export async function applyInput(step: Step, input: EngineInput, fromHeld = false, settled?: { row: Settled }): Promise<void> {
  // `settled`: the caller marked the row already, with others (settleMany).
  const row = settled ? settled.row : await settleOne(step.tx, input, step.isHeld && !fromHeld, fromHeld);
  if (input.kind === 'activity') await applyActivityResult(step, input.job, input.result, fromHeld, row);
  else await applyTimer(step, input.job, fromHeld, row as TimerRow | undefined);
}

/** The row states an input may still apply from: scheduled, or held (paused, an incident) and now released. */
function openStates(fromHeld: boolean): string[] {
  return fromHeld ? ['scheduled', 'held'] : ['scheduled'];
}

type TimerRow = { event: EventObject; send_id: string; due_at: Date };
/**
 * What marking an input's activity or timer row settled (or held) returned: the row, or
 * nothing when it was no longer open (stopped, cancelled, fired already), and the input is late.
 */
export type Settled = { id: string } | TimerRow | undefined;

/** The row status an input leaves its activity or timer in. */
function settledStatus(input: EngineInput, holding: boolean): string {
  if (holding) return 'held';
  if (input.kind === 'timer') return 'fired';
  return input.result.ok ? 'completed' : 'failed';
}

const ACTIVITY_SETTLE = `UPDATE activity a SET status = v.status, attempts = GREATEST(a.attempts, v.attempts), last_error = v.last_error, updated_at = now()
  FROM unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[]) AS v(id, status, attempts, last_error)
  WHERE a.id = v.id AND a.status = ANY($5::text[]) RETURNING a.id::text AS id`;
const TIMER_SETTLE = `UPDATE timer t SET status = v.status, fired_at = now()
  FROM unnest($1::uuid[], $2::text[]) AS v(id, status)
  WHERE t.id = v.id AND t.status = ANY($3::text[]) RETURNING t.id::text AS id, t.event, t.send_id, t.due_at`;

async function settleOne(tx: Tx, input: EngineInput, holding: boolean, fromHeld: boolean): Promise<Settled> {
  return (await settleMany(tx, [{ input, holding }], fromHeld))[0];
}

/**
 * Marks the rows of several inputs (of distinct instances, each locked) settled in at most two
 * statements, one for activities and one for timers: what each input would have done on its own.
 */
export async function settleMany(tx: Tx, items: readonly { input: EngineInput; holding: boolean }[], fromHeld = false): Promise<Settled[]> {
  const activities = items.filter((i) => i.input.kind === 'activity');
  const timers = items.filter((i) => i.input.kind === 'timer');
  const found = new Map<string, Settled>();
  if (activities.length > 0) {
    const inputs = activities.map((i) => i.input as Extract<EngineInput, { kind: 'activity' }>);
    const results = inputs.map((i) => i.result);
    const rows = await tx.rows<{ id: string }>(ACTIVITY_SETTLE, [
      inputs.map((i) => i.job.invocationId),
      activities.map((i) => settledStatus(i.input, i.holding)),
      results.map((r) => (r.ok ? 0 : r.attempts)),
      results.map((r) => (r.ok || r.error == null ? null : JSON.stringify(r.error))),
      openStates(fromHeld),
    ]);
    for (const r of rows) found.set(r.id, r);
  }
  if (timers.length > 0) {
    const rows = await tx.rows<TimerRow & { id: string }>(TIMER_SETTLE, [timers.map((i) => (i.input.job as TimerJob).timerId), timers.map((i) => settledStatus(i.input, i.holding)), openStates(fromHeld)]);
    for (const r of rows) found.set(r.id, r);
  }
  return items.map((i) => found.get(i.input.kind === 'activity' ? i.input.job.invocationId : i.input.job.timerId));
}

async function applyActivityResult(step: Step, job: ActivityJob, result: ActivityResult, fromHeld: boolean, open: Settled): Promise<void> {
  const event = result.ok
    ? { type: `xstate.done.actor.${job.activityId}`, output: result.output }
    : { type: `xstate.error.actor.${job.activityId}`, error: result.error };
  const holding = step.isHeld && !fromHeld;
  if (!open) {
    step.record({ kind: 'activity.result.discarded', event, outcome: 'discarded', reason: 'the invocation was stopped', idempotencyKey: job.idempotencyKey, data: { invocationId: job.invocationId, worker: result.worker } });
    return;
  }
  if (holding) return step.hold({ kind: 'activity', job, result });
  step.invocationSettled(job.activityId);
  const accepted = await step.apply(event, result.ok ? 'activity.completed' : 'activity.failed', {
    idempotencyKey: job.idempotencyKey,
    data: { invocationId: job.invocationId, worker: result.worker },
  });
  // A state that ignores the failure of its own activity would wait forever: that is an
  // unhandled failure too, an incident and not an end.
  if (!result.ok && !accepted && !step.isTerminal) {
    throw new MachineError(`${step.definition.type}@${step.definition.version}: the failure of ${job.activityId} (${job.src}) is not handled in ${JSON.stringify(step.snapshot.value)} (no onError)`, true);
  }
}

async function applyTimer(step: Step, job: TimerJob, fromHeld: boolean, timer: TimerRow | undefined): Promise<void> {
  const holding = step.isHeld && !fromHeld;
  if (!timer) {
    step.record({ kind: 'timer.discarded', outcome: 'discarded', reason: 'the timer was cancelled or already fired', data: { timerId: job.timerId } });
    return;
  }
  if (holding) return step.hold({ kind: 'timer', job });
  // Lateness measures the timer service, not how long an operator held the workflow.
  if (!fromHeld) step.firedTimer(timer.due_at);
  if (timer.event.type.startsWith(TASK_TIMER_PREFIX)) {
    step.record({ kind: 'timer.fired', outcome: 'ok', data: { timerId: job.timerId, sendId: timer.send_id } });
    await step.taskTimerFired(timer.event as EventObject & { taskId: string });
    return;
  }
  await step.apply(timer.event, 'timer.fired', { data: { timerId: job.timerId, sendId: timer.send_id } });
}
