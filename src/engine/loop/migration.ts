import type { AnyMachineSnapshot } from 'xstate';
import { transition } from 'xstate';
import { describeEffect, toEngineEffects } from '../decider/action-adapter';
import { inJumpMachine, jumpMachine, moveTargets, MOVE_EVENT } from '../decider/jump';
import { missingStatePath, persist, restore, stateLabel } from '../decider/snapshot';
import type { WorkflowDefinition } from '../definition/definition';
import { taskOf } from '../definition/human-task';
import { DomainError } from '../errors/domain.error';

/** What an operator asks of a migration: the version, and optionally where to go in it and what to change in the context. */
export interface MigrationRequest {
  toVersion: number;
  /** From a current state (dotted path) to a state of the target version: entered by a move right after the switch. */
  stateMapping?: Record<string, string>;
  /** Merged into the context (top-level keys replaced). */
  contextPatch?: Record<string, unknown>;
}

/** What an instance has open where it stands, as the engine's own tables say. */
export interface OpenWork {
  activities: { childId: string; src: string }[];
  timers: { sendId: string }[];
  tasks: { title: string }[];
}

export interface MigrationPlan {
  fromVersion: number;
  toVersion: number;
  state: { from: unknown; to: unknown };
  /** Carried over as they are: they are the same in both versions where the instance stands. */
  carried: { activities: string[]; timers: string[]; tasks: string[] };
  /** With a state mapping: what the move inside the target version does (`invoke …`, `timer …`, `stop …`). */
  move: { toState: string; actions: string[] } | null;
  contextPatch: Record<string, unknown> | null;
}

/** A state value as one key, for a state mapping or a fixture: `reserving`, `underwriting.escalated`, `a.x+b.y`. */
export const stateKey = (value: unknown): string => stateLabel(value, '+');

type NodeLike = { id: string; invoke: { id: string; src: unknown }[]; after: { eventType: string }[]; meta?: unknown; type: string };

/** The active state nodes of a snapshot, root included. */
function activeNodes(snapshot: AnyMachineSnapshot): NodeLike[] {
  return (snapshot as unknown as { _nodes: NodeLike[] })._nodes;
}

/** The work a state does while it is active: invocations, timers, task; equal in both versions for it to be carried over. */
function workOf(node: NodeLike): string {
  const task = taskOf(node as never);
  return JSON.stringify({
    invoke: node.invoke.map((i) => `${i.id}:${typeof i.src === 'string' ? i.src : 'inline'}`).sort(),
    after: node.after.map((a) => a.eventType).sort(),
    task: task ? { title: task.title, decisions: task.decisions, groups: task.candidateGroups } : null,
  });
}

const refuse = (message: string, details: Record<string, unknown> = {}) => new DomainError('migration_refused', message, details);

/**
 * Checks that an instance can be migrated where it stands and says exactly what would happen.
 * The switch itself carries everything over, so it is allowed only where nothing would be
 * wrong after it: the state the instance is in exists in the target version and does the same
 * work there (the same invocations, timers and task), so its open activities, timers and tasks
 * stay valid as they are. A state mapping then moves it inside the target version, as an
 * operator's move does (the state left stops its work, the state entered starts its own).
 */
export function planMigration(from: WorkflowDefinition, to: WorkflowDefinition, snapshot: AnyMachineSnapshot, open: OpenWork, request: MigrationRequest): MigrationPlan {
  if (from.type !== to.type) throw refuse(`a ${from.type} cannot become a ${to.type}`);
  if (to.version === from.version) throw refuse(`it already runs ${from.type}@${from.version}`, { version: from.version });
  const key = stateKey(snapshot.value);
  const gone = missingStatePath(to.machine, snapshot.value);
  if (gone) {
    throw refuse(`${to.type}@${to.version} has no state ${gone}, where it stands: move it (in v${from.version}) to a state both versions have, then migrate; a state mapping applies once it is in v${to.version}`, { state: key });
  }
  for (const node of activeNodes(snapshot)) {
    const there = to.machine.getStateNodeById(node.id) as unknown as NodeLike;
    if (workOf(node) !== workOf(there)) {
      throw refuse(`${node.id === from.machine.id ? 'the machine' : `state ${node.id.slice(from.machine.id.length + 1)}`} does different work in v${to.version} (invocations, timers or task): its open work would not be v${to.version}'s; move it to a state whose work is the same, then migrate`, { state: key });
    }
  }
  let patched = persist(from.machine, snapshot) as { context?: Record<string, unknown> };
  if (request.contextPatch) patched = { ...patched, context: { ...(patched.context ?? {}), ...request.contextPatch } };
  let restored: AnyMachineSnapshot;
  try {
    restored = restore(to.machine, patched);
  } catch (err) {
    throw refuse(`its snapshot does not restore in v${to.version}: ${(err as Error).message.split('\n')[0]}`, { state: key });
  }
  const mapped = request.stateMapping?.[key];
  let move: MigrationPlan['move'] = null;
  if (mapped !== undefined) {
    const targets = moveTargets(to.machine).map((t) => t.path);
    if (!targets.includes(mapped)) {
      throw new DomainError('validation_failed', 'the request does not match its schema', {
        errors: [{ field: `stateMapping.${key}`, message: `${to.type}@${to.version} has no state ${mapped} to go to (final states are not targets); its states: ${targets.join(', ')}` }],
      });
    }
    const [after, actions] = transition(jumpMachine(to.machine), inJumpMachine(to.machine, restored), { type: MOVE_EVENT, to: mapped });
    restored = after;
    move = { toState: mapped, actions: toEngineEffects(actions as never, to.machine.id).map(describeEffect) };
  }
  return {
    fromVersion: from.version,
    toVersion: to.version,
    state: { from: snapshot.value, to: restored.value },
    carried: { activities: open.activities.map((a) => a.src), timers: open.timers.map((t) => t.sendId), tasks: open.tasks.map((t) => t.title) },
    move,
    contextPatch: request.contextPatch ?? null,
  };
}
