import type { z } from 'zod';
import { anyState } from '../decider/machine-states';

/**
 * A person's step, declared in a state's `meta.task`. Entering the state opens a task;
 * leaving it by any path closes it; completing it delivers `decisions[decision]` to the
 * workflow, with the form's data and the deciding principal's id in `principalField`.
 */
export interface HumanTaskSpec {
  title: string;
  /** Reviewer groups that may claim and complete the task. */
  candidateGroups: string[];
  /** Decision name → the event type its completion delivers. */
  decisions: Record<string, string>;
  /** The decision's data, validated on completion (400 listing the field errors). */
  form?: z.ZodType;
  /** The event member that carries the deciding principal's id (default `decidedBy`). */
  principalField?: string;
  /** After this long the task is listed overdue. */
  dueInMs?: number;
  /** After this long, if still open, a reminder is recorded (and listed for the candidates). */
  reminderInMs?: number;
  /** After `afterMs` the group joins the candidates (the task escalates). */
  escalation?: { afterMs: number; group: string };
  /**
   * Maker-checker over the whole workflow tree (the root workflow, its children, theirs…).
   * A task that declares it may not be decided by:
   * - `excludeInitiator` (default true): the principal who started the root workflow;
   * - `distinctFromEarlierDecisions` (default true): any principal who already decided a task
   *   anywhere in the tree (a child's fraud review, a loan's KYC review, the first underwriting).
   * A refusal is 403 `four-eyes-violation`, recorded in the task's workflow history.
   */
  fourEyes?: FourEyesRule;
}

export interface FourEyesRule {
  excludeInitiator?: boolean;
  distinctFromEarlierDecisions?: boolean;
}

/** Declares a state's task: `meta: { task: humanTask({...}) }`. */
export function humanTask(spec: HumanTaskSpec): HumanTaskSpec {
  return spec;
}

export const TASK_TIMER_PREFIX = 'statera.task.';

export type TaskTimerKind = 'due' | 'remind' | 'escalate';

export function taskTimerEvent(kind: TaskTimerKind, taskId: string): { type: string; taskId: string } {
  return { type: `${TASK_TIMER_PREFIX}${kind}`, taskId };
}

export function taskOf(node: { meta?: unknown }): HumanTaskSpec | undefined {
  return (node.meta as { task?: HumanTaskSpec } | undefined)?.task;
}

/** Whether any state of the machine declares a task: an instance of one that does not needs no task rows closed. */
export function machineHasTasks(machine: { root: unknown }): boolean {
  return anyState(machine, 'task', (node) => taskOf(node) !== undefined);
}
