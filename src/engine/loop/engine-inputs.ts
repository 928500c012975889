import type { EventObject } from 'xstate';
import { MachineError } from '../errors/machine.error';
import type { Actor } from '../store/history';
import { TASK_TIMER_PREFIX } from '../definition/human-task';
import type { ActivityJob, TimerJob } from '../store/jobs';
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
export async function applyInput(step: Step, input: EngineInput, fromHeld = false): Promise<void> {
  if (input.kind === 'activity') await applyActivityResult(step, input.job, input.result, fromHeld);
  else await applyTimer(step, input.job, fromHeld);
}

/** The row states an input may still apply from: scheduled, or held (paused, an incident) and now released. */
function openStates(fromHeld: boolean): string[] {
  return fromHeld ? ['scheduled', 'held'] : ['scheduled'];
}

async function applyActivityResult(step: Step, job: ActivityJob, result: ActivityResult, fromHeld: boolean): Promise<void> {
  const event = result.ok
    ? { type: `xstate.done.actor.${job.activityId}`, output: result.output }
    : { type: `xstate.error.actor.${job.activityId}`, error: result.error };
  const holding = step.isHeld && !fromHeld;
  const open = await step.tx.one(
    `UPDATE activity SET status = $2, attempts = GREATEST(attempts, $3), last_error = $4, updated_at = now()
      WHERE id = $1 AND status = ANY($5::text[]) RETURNING id`,
    [job.invocationId, holding ? 'held' : result.ok ? 'completed' : 'failed', result.ok ? 0 : result.attempts, result.ok ? null : result.error, openStates(fromHeld)],
  );
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

async function applyTimer(step: Step, job: TimerJob, fromHeld: boolean): Promise<void> {
  const holding = step.isHeld && !fromHeld;
  const timer = await step.tx.one<{ event: EventObject; send_id: string; due_at: Date }>(
    `UPDATE timer SET status = $2, fired_at = now() WHERE id = $1 AND status = ANY($3::text[]) RETURNING event, send_id, due_at`,
    [job.timerId, holding ? 'held' : 'fired', openStates(fromHeld)],
  );
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
