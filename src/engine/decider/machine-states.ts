/** A state node as the engine reads it: its key, meta, tags and children. */
export interface StateNodeLike {
  key: string;
  meta?: unknown;
  tags?: readonly string[];
  states?: Record<string, StateNodeLike>;
}

export interface MachineState {
  /** Dotted path from the root, as in `workflow_instance.state_paths`. */
  path: string;
  node: StateNodeLike;
}

const walked = new WeakMap<object, readonly MachineState[]>();

/**
 * Every state below the root, parents before their children, walked once per machine:
 * what declares a task, an SLA or the `cancelled` tag, and the state list of a definition.
 */
export function machineStates(machine: { root: unknown }): readonly MachineState[] {
  let states = walked.get(machine);
  if (!states) {
    const found: MachineState[] = [];
    const walk = (children: Record<string, StateNodeLike> | undefined, prefix: string): void => {
      for (const node of Object.values(children ?? {})) {
        const path = prefix ? `${prefix}.${node.key}` : node.key;
        found.push({ path, node });
        walk(node.states, path);
      }
    };
    walk((machine.root as StateNodeLike).states, '');
    states = found;
    walked.set(machine, states);
  }
  return states;
}

const flags = new WeakMap<object, Map<string, boolean>>();

/** Whether any state (the root included) satisfies `test`, answered once per machine and `name`. */
export function anyState(machine: { root: unknown }, name: string, test: (node: StateNodeLike) => boolean): boolean {
  let known = flags.get(machine);
  if (!known) flags.set(machine, (known = new Map()));
  let found = known.get(name);
  if (found === undefined) {
    found = test(machine.root as StateNodeLike) || machineStates(machine).some((s) => test(s.node));
    known.set(name, found);
  }
  return found;
}
