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
  /**
   * The business facts a reviewer decides on, shown on the task card: dotted paths into the
   * workflow's context (`'amount'`, `'applicant.name'`), or `{ label, path }`. Read when the
   * task opens and kept with it, so the card shows what was there when it was asked.
   */
  summary?: (string | { label: string; path: string })[];
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

/** One fact of a task's summary, as kept with the task. */
export interface TaskFact {
  label: string;
  path: string;
  value: unknown;
}

/** The task's summary facts read from the context (a missing path reads null). */
export function taskFacts(spec: HumanTaskSpec, context: unknown): TaskFact[] {
  return (spec.summary ?? []).map((f) => {
    const { label, path } = typeof f === 'string' ? { label: f.split('.').at(-1)!, path: f } : f;
    let value: unknown = context;
    for (const key of path.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return { label, path, value: value === undefined ? null : value };
  });
}
