/**
 * What the engine puts on BullMQ. Job ids are derived from database row ids, so re-sending
 * an outbox row (after a crash, or after Redis lost its data) adds nothing twice. BullMQ
 * job ids may not contain ':'.
 */
export const QUEUES = ['activities', 'timers', 'effects', 'events'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface ActivityJob {
  workflowId: string;
  invocationId: string;
  type: string;
  version: number;
  src: string;
  activityId: string;
  input: unknown;
  idempotencyKey: string;
  /** Attempts already made before this job was (re)sent. */
  attemptsBefore: number;
  /** The last attempt number allowed, when an operator's retry gave a fresh budget (else the policy's maximum). */
  attemptLimit?: number;
  /** W3C trace context of the transaction that scheduled it (absent when re-sent by the sweeper). */
  trace?: Record<string, string>;
}

export interface TimerJob {
  workflowId: string;
  timerId: string;
  /** Due time (ms since the epoch); absent on jobs re-sent from the table by the sweeper. */
  dueAt?: number;
  /** The timer is also held in memory by the process that set it: this job is its backstop (local-work.ts). */
  backstop?: true;
  trace?: Record<string, string>;
}

export interface EffectJob {
  workflowId: string;
  effectId: string;
  type: string;
  version: number;
  name: string;
  params: Record<string, unknown>;
  idempotencyKey: string;
  attemptsBefore: number;
}

export interface ChildOutcome {
  status: 'completed' | 'failed' | 'cancelled';
  output?: unknown;
  error?: unknown;
}

export type EventJob =
  | { op: 'child.finished'; parentId: string; invocationId: string; childWorkflowId: string; outcome: ChildOutcome }
  | { op: 'child.cancel'; childWorkflowId: string; parentId: string };

/** One outbox row: an `add` (with a run time for delayed jobs) or a `remove` of a job. */
export interface OutboxEntry {
  workflowId: string;
  queue: QueueName;
  op: 'add' | 'remove';
  jobId: string;
  payload: { name: string; data?: unknown; attempts?: number };
  runAt: Date;
}

export const jobIds = {
  /** A fresh budget (a retried incident) is a new job: the spent one may still sit in the failed set. */
  activity: (invocationId: string, attemptLimit?: number | null) => (attemptLimit ? `a-${invocationId}-l${attemptLimit}` : `a-${invocationId}`),
  timer: (timerId: string) => `t-${timerId}`,
  effect: (effectId: string) => `e-${effectId}`,
  childFinished: (invocationId: string) => `f-${invocationId}`,
  childCancel: (invocationId: string) => `x-${invocationId}`,
};

export function activityEntry(job: ActivityJob, maximumAttempts: number): OutboxEntry {
  return {
    workflowId: job.workflowId,
    queue: 'activities',
    op: 'add',
    jobId: jobIds.activity(job.invocationId, job.attemptLimit),
    payload: { name: job.src, data: job, attempts: Math.max(1, (job.attemptLimit ?? maximumAttempts) - job.attemptsBefore) },
    runAt: new Date(),
  };
}

export function timerEntry(job: TimerJob, dueAt: Date): OutboxEntry {
  return { workflowId: job.workflowId, queue: 'timers', op: 'add', jobId: jobIds.timer(job.timerId), payload: { name: 'fire', data: job }, runAt: dueAt };
}

export function effectEntry(job: EffectJob, maximumAttempts: number): OutboxEntry {
  return {
    workflowId: job.workflowId,
    queue: 'effects',
    op: 'add',
    jobId: jobIds.effect(job.effectId),
    payload: { name: job.name, data: job, attempts: Math.max(1, maximumAttempts - job.attemptsBefore) },
    runAt: new Date(),
  };
}

export function eventEntry(workflowId: string, jobId: string, job: EventJob): OutboxEntry {
  return { workflowId, queue: 'events', op: 'add', jobId, payload: { name: job.op, data: job }, runAt: new Date() };
}

export function removeEntry(workflowId: string, queue: QueueName, jobId: string): OutboxEntry {
  return { workflowId, queue, op: 'remove', jobId, payload: { name: 'remove' }, runAt: new Date() };
}
