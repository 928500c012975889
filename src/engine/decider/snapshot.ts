import { createActor, type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';
import { anyState } from './machine-states';

/**
 * `paused`: an operator holds it (inputs are kept until resume). `terminated`: an operator
 * ended it at once, without compensation. `failed`: a machine reached it, or an operator chose it.
 */
export type WorkflowStatus = 'running' | 'waiting' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'terminated';
export const WORKFLOW_STATUSES: readonly WorkflowStatus[] = ['running', 'waiting', 'paused', 'completed', 'failed', 'cancelled', 'terminated'];
export const TERMINAL: ReadonlySet<WorkflowStatus> = new Set(['completed', 'failed', 'cancelled', 'terminated']);

/**
 * Restores a persisted snapshot without starting anything. Unlike `machine.resolveState`,
 * an unstarted actor keeps history values and the children that `stopChild` refers to.
 */
export function restore(machine: AnyStateMachine, persisted: unknown): AnyMachineSnapshot {
  return createActor(machine, { snapshot: persisted as never }).getSnapshot() as AnyMachineSnapshot;
}

export function persist(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): unknown {
  return machine.getPersistedSnapshot(snapshot);
}

/**
 * The terminal status the snapshot reached, or `waiting` when it is still active (the engine
 * refines it to `running`). A final state tagged `failed` ends the workflow `failed`: the one
 * way a machine reaches that status; the engine never does by accident (see incidents). After a cancellation request, a machine that tags some state
 * `cancelled` decides: its final state ends `cancelled` only with that tag (a trade whose
 * cancel came too late still settles, and is `completed`); a machine without the tag ends
 * `cancelled` whichever final state it reaches.
 */
export function statusOf(snapshot: AnyMachineSnapshot, cancelRequested: boolean): WorkflowStatus {
  if (snapshot.status === 'done') {
    // A final state tagged `failed` is how a machine fails on purpose (its parent gets an error event).
    if (snapshot.hasTag('failed')) return 'failed';
    if (!cancelRequested) return 'completed';
    return !tagsCancellation(snapshot.machine) || snapshot.hasTag('cancelled') ? 'cancelled' : 'completed';
  }
  if (snapshot.status === 'error') return 'failed';
  return 'waiting';
}

/**
 * The business outcome of an ended workflow, beside its technical status: a payment that was
 * rejected by fraud rules ends `completed` (the process ran as designed) with the outcome
 * `rejection`. A final state declares it in its `meta.outcome`; one that declares nothing is a
 * `success`. An ending the machine did not choose says it itself: `failed` and `terminated`
 * are `failure`, `cancelled` is `cancelled`.
 */
export type WorkflowOutcome = 'success' | 'rejection' | 'failure' | 'cancelled';
export const WORKFLOW_OUTCOMES: readonly WorkflowOutcome[] = ['success', 'rejection', 'failure', 'cancelled'];
/** What a final state may declare in `meta.outcome`. */
export const DECLARED_OUTCOMES: readonly WorkflowOutcome[] = ['success', 'rejection', 'failure'];

export function outcomeOf(snapshot: AnyMachineSnapshot, status: WorkflowStatus): WorkflowOutcome | null {
  if (!TERMINAL.has(status)) return null;
  if (status === 'cancelled') return 'cancelled';
  if (status !== 'completed') return 'failure';
  for (const meta of Object.values((snapshot.getMeta?.() ?? {}) as Record<string, { outcome?: unknown } | undefined>)) {
    if (meta && DECLARED_OUTCOMES.includes(meta.outcome as WorkflowOutcome)) return meta.outcome as WorkflowOutcome;
  }
  return 'success';
}

/** Every active state as a dotted path, ancestors included, so a list can filter by any of them. */
export function statePaths(value: StateValue): string[] {
  if (typeof value === 'string') return [value];
  const paths: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    paths.push(key);
    if (child !== undefined) for (const sub of statePaths(child as StateValue)) paths.push(`${key}.${sub}`);
  }
  return paths;
}

/** A state value as its leaf paths: `reviewing`, `underwriting.escalated`; parallel regions joined by `joiner`. */
export function stateLabel(value: unknown, joiner = ', '): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}.${stateLabel(v, joiner)}`)
    .join(joiner);
}

/**
 * The first state of a state value (a dotted path) the machine does not have. XState restores
 * a snapshot in such a state without complaint, so whoever carries a snapshot to another
 * machine (a migration, an impact replay) asks this first.
 */
export function missingStatePath(machine: AnyStateMachine, value: unknown): string | undefined {
  const walk = (node: { states?: Record<string, unknown> }, v: unknown, prefix: string): string | undefined => {
    if (typeof v === 'string') return node.states?.[v] ? undefined : `${prefix}${v}`;
    for (const [key, child] of Object.entries((v ?? {}) as Record<string, unknown>)) {
      const next = node.states?.[key] as { states?: Record<string, unknown> } | undefined;
      if (!next) return `${prefix}${key}`;
      const deeper = walk(next, child, `${prefix}${key}.`);
      if (deeper) return deeper;
    }
    return undefined;
  };
  return walk(machine.root as never, value, '');
}

function tagsCancellation(machine: AnyStateMachine): boolean {
  return anyState(machine, 'cancelled-tag', (node) => (node.tags ?? []).includes('cancelled'));
}

/** A guarded transition the current states have for an event: the guard's name and the transition's description. */
export interface GuardRefusal {
  guard: string;
  description?: string;
}

/**
 * Why an event the current states have transitions for was not taken: every such transition
 * is guarded, and each guard said no. Empty when no active state has a transition for the
 * event at all (it is not accepted here, whatever its payload).
 */
export function refusingGuards(snapshot: AnyMachineSnapshot, eventType: string): GuardRefusal[] {
  const nodes = ((snapshot as unknown as { _nodes?: { transitions?: Map<string, { guard?: unknown; description?: string }[]> }[] })._nodes ?? []);
  const candidates = nodes.flatMap((n) => n.transitions?.get(eventType) ?? []);
  if (candidates.length === 0 || candidates.some((t) => !t.guard)) return [];
  return candidates.map((t) => ({ guard: guardName(t.guard), ...(t.description ? { description: t.description } : {}) }));
}

function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name && guard.name !== 'guard' ? guard.name : 'an inline guard';
  const type = (guard as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : 'an inline guard';
}
