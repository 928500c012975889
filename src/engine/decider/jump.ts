import { createMachine, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { persist, restore } from './snapshot';

/** The event of an operator's move: to the state at `to` (a dotted path from the root). */
export const MOVE_EVENT = 'statera.move';
export type MoveEvent = EventObject & { type: typeof MOVE_EVENT; to: string };

interface Node {
  id: string;
  key: string;
  type: string;
  states?: Record<string, Node>;
}

/** Every state a move may target: not the root, not a final or history state; compound states enter their initial child. */
export function moveTargets(machine: AnyStateMachine): { path: string; id: string }[] {
  const out: { path: string; id: string }[] = [];
  const walk = (node: Node, prefix: string) => {
    for (const [key, child] of Object.entries(node.states ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (child.type !== 'final' && child.type !== 'history') out.push({ path, id: child.id });
      walk(child, path);
    }
  };
  walk(machine.root as unknown as Node, '');
  return out;
}

const jumps = new WeakMap<AnyStateMachine, AnyStateMachine>();

/**
 * The machine with one more transition at its root: `statera.move` to any state. Taken from
 * wherever the instance is, XState exits every active state (stopping their invocations and
 * timers, running their exit actions) and enters the target as any transition would (its entry
 * actions, invocations and timers): an operator's move is an ordinary transition, performed
 * by the engine like any other. The state structure is the machine's own, so the snapshot it
 * produces persists and restores in the original machine.
 */
export function jumpMachine(machine: AnyStateMachine): AnyStateMachine {
  let jump = jumps.get(machine);
  if (!jump) {
    const config = machine.config as { on?: Record<string, unknown> };
    const moves = moveTargets(machine).map(({ path, id }) => ({ target: `#${id}`, guard: ({ event }: { event: MoveEvent }) => event.to === path }));
    jump = createMachine({ ...(machine.config as object), on: { ...(config.on ?? {}), [MOVE_EVENT]: moves } } as never, machine.implementations as never) as AnyStateMachine;
    jumps.set(machine, jump);
  }
  return jump;
}

/** The instance's snapshot as the jump machine's (a snapshot keeps the state nodes of the machine that made it). */
export function inJumpMachine(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): AnyMachineSnapshot {
  return restore(jumpMachine(machine), persist(machine, snapshot));
}
