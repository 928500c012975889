import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { toEngineEffects, type EngineEffect } from '../../src/engine/decider/action-adapter';

/** Runs the events from the start with XState's pure transitions; every event must be accepted. Returns the last snapshot and the engine effects of the last step. */
export function runMachine(machine: AnyStateMachine, input: unknown, ...events: EventObject[]): { s: AnyMachineSnapshot; effects: EngineEffect[] } {
  let [s, actions] = initialTransition(machine, input);
  for (const event of events) {
    const [next, nextActions] = transition(machine, s, event as never);
    expect(next).not.toBe(s);
    [s, actions] = [next, nextActions];
  }
  return { s, effects: toEngineEffects(actions as never, machine.id) };
}
