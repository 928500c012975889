import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { toEngineEffects, type EngineEffect } from '../engine/decider/action-adapter';
import type { WorkflowDefinition } from '../engine/definition/definition';

export type { EngineEffect };

/** An event with its payload, e.g. `{ type: 'transfer.approved', approver: 'ops-1' }`. */
export type AnyEvent = { type: string; [field: string]: unknown };

export interface SimulatedStep {
  event: EventObject;
  snapshot: AnyMachineSnapshot;
  /** What the engine would do after this step: activities invoked, timers set, effects run. */
  effects: EngineEffect[];
}

export interface Simulation {
  snapshot: AnyMachineSnapshot;
  /** The engine effects of the last step. */
  effects: EngineEffect[];
  steps: SimulatedStep[];
}

/** An activity's answer, as the engine delivers it to the machine. */
export function activityDone(invokeId: string, output: unknown): EventObject {
  return { type: `xstate.done.actor.${invokeId}`, output } as EventObject;
}

/** An activity's failure, as the engine delivers it: the serialised error with its `name`. */
export function activityFailed(invokeId: string, error: { name?: string; message: string; details?: unknown }): EventObject {
  return { type: `xstate.error.actor.${invokeId}`, error: { name: 'Error', ...error } } as EventObject;
}

/** A timer's fire: the `after` delay named `delay` of the state node whose id is `stateId` (`<machine id>.<path>`). */
export function timerFired(delay: string, stateId: string): EventObject {
  return { type: `xstate.after.${delay}.${stateId}` } as EventObject;
}

/**
 * Runs a definition's machine from its start with XState's pure transitions, as the engine's
 * decider does, without a database: the input is parsed by the definition's schema (defaults
 * applied, a bad input throws), every signal by its event schema, and every event must be
 * accepted, so a test fails where the engine would answer 409.
 */
export function simulate(definition: WorkflowDefinition, input: unknown, ...events: AnyEvent[]): Simulation {
  const parsed = definition.input.parse(input);
  const machine = definition.machine;
  let [snapshot, actions] = initialTransition(machine, parsed);
  const steps: SimulatedStep[] = [];
  for (const raw of events) {
    const schema = definition.events?.[raw.type];
    const event = (schema ? { type: raw.type, ...(schema.parse(withoutType(raw)) as object) } : raw) as EventObject;
    const [next, nextActions] = transition(machine, snapshot, event as never);
    if (next === snapshot) {
      throw new Error(`${definition.type}: the state ${JSON.stringify(snapshot.value)} does not accept ${event.type} (no transition, or a guard refused it)`);
    }
    [snapshot, actions] = [next, nextActions];
    steps.push({ event, snapshot, effects: toEngineEffects(actions as never, machine.id) });
  }
  const effects = steps.length ? steps[steps.length - 1].effects : toEngineEffects(actions as never, machine.id);
  return { snapshot, effects, steps };
}

function withoutType(event: AnyEvent): Record<string, unknown> {
  const { type: _type, ...rest } = event;
  return rest;
}

/** The timer events of every active state of `snapshot` (for a model's `events`: each `after` it could take). */
export function timerEvents(snapshot: AnyMachineSnapshot): EventObject[] {
  const nodes = (snapshot as unknown as { _nodes: { after?: { eventType: string }[] }[] })._nodes;
  const types = new Set<string>();
  for (const node of nodes) for (const t of node.after ?? []) types.add(t.eventType);
  return [...types].map((type) => ({ type }));
}
