import type { WorkflowStatus } from '../decider/snapshot';

/** One instance's part of a committed transaction: a start, an event, a timer, a task decision. */
export interface StepObservation {
  workflowId: string;
  type: string;
  version: number;
  /** The instance was created in this transaction (a start, or a child started by its parent). */
  started: boolean;
  /** null when `started`. */
  statusBefore: WorkflowStatus | null;
  statusAfter: WorkflowStatus;
  /** Events the machine accepted in this transaction (0 for a rejected or discarded input). */
  transitions: number;
  /** From locking this instance (or creating it) to the COMMIT of the transaction that wrote it. */
  durationMs: number;
  /** States (dotted paths, as in `state_paths`) left in this transaction, with the time spent in each. */
  statesLeft: { state: string; seconds: number }[];
}

export interface ActivityAttemptObservation {
  workflowId: string;
  type: string;
  version: number;
  /** The activity's implementation name (`src` in the machine's `invoke`). */
  activity: string;
  attempt: number;
  /** `retrying`: failed and BullMQ will try again; `failed`: failed for good (permanent or out of attempts). */
  outcome: 'completed' | 'retrying' | 'failed';
  durationMs: number;
  /** `eager`: run by the process that scheduled it, right after the commit; `queue`: a BullMQ job. */
  dispatch?: 'eager' | 'queue';
}

export interface TimerObservation {
  workflowId: string;
  type: string;
  version: number;
  /** How long after its due time the timer's event was applied (commit time minus due time). */
  latenessMs: number;
}

/**
 * What the engine tells whoever watches it, after the fact and never inside a transaction.
 * Implementations must be cheap and must not throw: they run on the hot path.
 */
export interface EngineTelemetry {
  stepCommitted(o: StepObservation): void;
  activityAttempt(o: ActivityAttemptObservation): void;
  timerFired(o: TimerObservation): void;
}

export const NO_TELEMETRY: EngineTelemetry = {
  stepCommitted: () => undefined,
  activityAttempt: () => undefined,
  timerFired: () => undefined,
};
