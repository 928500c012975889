import { fromPromise, type AnyStateMachine } from 'xstate';
import type { z } from 'zod';

/** Retry policy of an activity or effect, with the field names Temporal users look for. */
export interface RetryPolicy {
  /** Delay before the first retry. */
  initialIntervalMs: number;
  /** Each retry waits this many times longer than the previous one. */
  backoffCoefficient: number;
  /** Upper bound of the delay between two attempts. */
  maximumIntervalMs: number;
  /** Attempts in all, the first included. */
  maximumAttempts: number;
  /** Error names (`error.name`) that fail at once, without burning retries. */
  nonRetryableErrorTypes: string[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maximumIntervalMs: 100_000,
  maximumAttempts: 5,
  nonRetryableErrorTypes: [],
};

export const DEFAULT_START_TO_CLOSE_TIMEOUT_MS = 60_000;

/** What an activity is told about the attempt it runs in. */
export interface ActivityContext {
  workflowId: string;
  /** The invoke id in the statechart. */
  activityId: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Stable across attempts of one invocation: pass it to the partner. */
  idempotencyKey: string;
  /**
   * Fires when the start-to-close timeout elapses. Cancelling the invocation does not
   * interrupt a running attempt: its result is recorded as discarded.
   */
  signal: AbortSignal;
}

export interface ActivityDefinition<I = any, O = any> {
  run: (input: I, ctx: ActivityContext) => Promise<O>;
  retry?: Partial<RetryPolicy>;
  startToCloseTimeoutMs?: number;
  /**
   * `false` for an activity that changes nothing that matters at the partner (a read, a quote):
   * its state may be left while it runs. Otherwise a timer, signal or cancel that leaves the
   * state while it runs is an unsafe exit (see `unsafeExits`).
   */
  sideEffects?: boolean;
  /**
   * Answers the activity can give (its outputs), for documentation only: the compliance report
   * tries them to show which paths to a final state can run (a guard over an answer no
   * definition describes cannot be evaluated). Never used at run time.
   */
  exampleAnswers?: readonly O[];
}

export interface EffectContext {
  workflowId: string;
  effect: string;
  attempt: number;
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface EffectDefinition<P = any> {
  run: (params: P, ctx: EffectContext) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  startToCloseTimeoutMs?: number;
}

export interface WorkflowDefinition<TMachine extends AnyStateMachine = AnyStateMachine> {
  type: string;
  version: number;
  description?: string;
  machine: TMachine;
  /**
   * How long an ended instance keeps its snapshot (context), input, output and invocation rows
   * (activities, timers, effects, outbox) before retention empties them; its history records,
   * hashes and chain head stay for the audit. Default: RETENTION_ENDED_DAYS, else kept.
   */
  retention?: { endedKeepDays: number };
  /** Validates the start input; also published as JSON Schema. */
  input: z.ZodType;
  /** Events that clients may send, with their payload schemas (without `type`). */
  events?: Record<string, z.ZodType>;
  /** An input that starts a workflow successfully: shown in the docs. */
  exampleInput: unknown;
  /** Implementations of the `fromPromise` actors the machine invokes, by their `src` key. */
  activities?: Record<string, ActivityDefinition>;
  /** Implementations of the named actions the machine asks for, by action type. */
  effects?: Record<string, EffectDefinition>;
  /**
   * The event the engine sends on cancellation. When the machine accepts it, its own
   * cancel path runs (compensations); otherwise the engine stops everything itself.
   */
  cancelEvent?: string;
}

export const DEFAULT_CANCEL_EVENT = 'cancellation.requested';

/** The event the engine sends on cancellation, for a machine's `events` type. */
export interface CancellationRequested {
  type: typeof DEFAULT_CANCEL_EVENT;
}

/**
 * Declares an activity's types in `setup({ actors })`: the machine invokes it by name and
 * the engine runs the definition's implementation on a worker. XState itself never calls
 * this logic, because the engine only uses the pure `transition()`.
 */
export function activity<TInput, TOutput>() {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error('activities run on the engine workers, never inside the statechart');
  });
}

/** Identity helper that keeps the definition's machine type. */
export function defineWorkflow<TMachine extends AnyStateMachine>(
  definition: WorkflowDefinition<TMachine>,
): WorkflowDefinition<TMachine> {
  return definition;
}

/**
 * Declares a named action the engine runs as an effect. XState needs an implementation in
 * `setup({ actions })`; the engine never calls it — it runs the definition's effect instead.
 */
export function effect<P extends Record<string, unknown>>() {
  return (_args: unknown, _params: P): void => undefined;
}

export function resolveRetryPolicy(partial?: Partial<RetryPolicy>): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...partial };
  if (partial?.initialIntervalMs !== undefined && partial.maximumIntervalMs === undefined) {
    policy.maximumIntervalMs = Math.max(policy.initialIntervalMs * 100, policy.initialIntervalMs);
  }
  return policy;
}

/** Delay before retry number `failedAttempts` (1 after the first failure). */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number): number {
  const raw = policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, Math.max(0, failedAttempts - 1));
  return Math.min(Math.round(raw), policy.maximumIntervalMs);
}
