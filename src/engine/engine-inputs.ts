import type { EventObject } from 'xstate';
import type { Actor } from './history';
import { TASK_TIMER_PREFIX } from './human-task';
import type { ActivityJob, TimerJob } from './jobs';
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

/** Applies one input to its locked instance. A late one (its invocation or timer no longer wanted) is recorded as discarded. */
export async function applyInput(step: Step, input: EngineInput): Promise<void> {
  if (input.kind === 'activity') await applyActivityResult(step, input.job, input.result);
  else await applyTimer(step, input.job);
}

async function applyActivityResult(step: Step, job: ActivityJob, result: ActivityResult): Promise<void> {
  const open = await step.tx.one(
    `UPDATE activity SET status = $2, attempts = GREATEST(attempts, $3), last_error = $4, updated_at = now()
      WHERE id = $1 AND status = 'scheduled' RETURNING id`,
    [job.invocationId, result.ok ? 'completed' : 'failed', result.ok ? 0 : result.attempts, result.ok ? null : result.error],
  );
  const event = result.ok
    ? { type: `xstate.done.actor.${job.activityId}`, output: result.output }
    : { type: `xstate.error.actor.${job.activityId}`, error: result.error };
  if (!open) {
    step.record({ kind: 'activity.result.discarded', event, outcome: 'discarded', reason: 'the invocation was stopped', idempotencyKey: job.idempotencyKey, data: { invocationId: job.invocationId, worker: result.worker } });
    return;
  }
  step.invocationSettled(job.activityId);
  const accepted = await step.apply(event, result.ok ? 'activity.completed' : 'activity.failed', {
    idempotencyKey: job.idempotencyKey,
    data: { invocationId: job.invocationId, worker: result.worker },
  });
  // An error the machine does not handle normally puts the snapshot in `error`; if the
  // state merely ignored it, the workflow must still not wait forever.
  if (!result.ok && !accepted && !step.isTerminal) step.forceEnd('failed', result.error);
}

async function applyTimer(step: Step, job: TimerJob): Promise<void> {
  const timer = await step.tx.one<{ event: EventObject; send_id: string; due_at: Date }>(
    `UPDATE timer SET status = 'fired', fired_at = now() WHERE id = $1 AND status = 'scheduled' RETURNING event, send_id, due_at`,
    [job.timerId],
  );
  if (!timer) {
    step.record({ kind: 'timer.discarded', outcome: 'discarded', reason: 'the timer was cancelled or already fired', data: { timerId: job.timerId } });
    return;
  }
  step.firedTimer(timer.due_at);
  if (timer.event.type.startsWith(TASK_TIMER_PREFIX)) {
    step.record({ kind: 'timer.fired', outcome: 'ok', data: { timerId: job.timerId, sendId: timer.send_id } });
    await step.taskTimerFired(timer.event as EventObject & { taskId: string });
    return;
  }
  await step.apply(timer.event, 'timer.fired', { data: { timerId: job.timerId, sendId: timer.send_id } });
}
