import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from '@xstate/graph';
import { initialTransition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';

/** What the traversal needs of a model: inputs to start from and the events worth trying in a snapshot. */
export interface CoverageModel {
  /** Inputs to traverse from; the union of their paths must take every transition. */
  inputs: unknown[];
  /** Events worth trying in this snapshot, payloads included (see `activityDone`, `activityFailed`, `timerFired`). */
  events(snapshot: AnyMachineSnapshot): EventObject[];
  /** Context that distinguishes states for the traversal (default: none, the state value alone). */
  stateKey?(snapshot: AnyMachineSnapshot): string;
}

export interface ModelStep {
  event: EventObject;
  /** The model's snapshot after the event. */
  state: AnyMachineSnapshot;
}

export interface ModelPath {
  input: unknown;
  initial: AnyMachineSnapshot;
  steps: ModelStep[];
  /** The transitions this path takes, as `<state node id>|<event type>|<index>`. */
  takes: string[];
}

export interface CoveragePlan {
  /** Every transition the machine defines. */
  transitions: string[];
  paths: ModelPath[];
  uncovered: string[];
}

/** Every transition of the machine (each guarded branch counts), keyed by source, event and index. */
export function machineTransitions(machine: AnyStateMachine): Map<unknown, string> {
  const keys = new Map<unknown, string>();
  const walk = (node: any): void => {
    for (const [type, defs] of node.transitions as Map<string, unknown[]>) defs.forEach((d, i) => keys.set(d, `${node.id}|${type}|${i}`));
    for (const def of node.always ?? []) keys.set(def, `${node.id}|(always)|${(node.always as unknown[]).indexOf(def)}`);
    for (const child of Object.values(node.states ?? {})) walk(child);
  };
  walk(machine.root);
  return keys;
}

/**
 * Paths that together take every transition: @xstate/graph's adjacency map gives the
 * edges reachable with the model's events; each edge is joined to the shortest path to
 * its source; edges are chosen greedily until every transition is taken.
 */
export function planCoverage(machine: AnyStateMachine, model: CoverageModel): CoveragePlan {
  const keys = machineTransitions(machine);
  const serializeState = (s: AnyMachineSnapshot) => `${JSON.stringify(s.value)}|${s.status}|${model.stateKey?.(s) ?? ''}`;
  const candidates: { input: unknown; prefix: ModelStep[]; initial: AnyMachineSnapshot; edge: ModelStep; takes: string[] }[] = [];
  for (const input of model.inputs) {
    const options = { input, events: (s: AnyMachineSnapshot) => (s.status === 'active' ? model.events(s) : []), serializeState, limit: 5000 } as never;
    const [initial] = initialTransition(machine, input);
    const shortest = new Map<string, ModelStep[]>();
    for (const path of getShortestPaths(machine, options) as { state: AnyMachineSnapshot; steps: { state: AnyMachineSnapshot; event: EventObject }[] }[]) {
      // Each step pairs an event with the snapshot it led to; the first is the start itself.
      const steps: ModelStep[] = path.steps.filter((st) => st.event.type !== 'xstate.init').map((st) => ({ event: st.event, state: st.state }));
      shortest.set(serializeState(path.state), steps);
    }
    for (const { state, event, nextState } of adjacencyMapToArray(getAdjacencyMap(machine, options)) as { state: AnyMachineSnapshot; event: EventObject; nextState: AnyMachineSnapshot }[]) {
      const takes = (machine.getTransitionData(state as never, event) as unknown[]).map((d) => keys.get(d)).filter((k): k is string => !!k);
      const prefix = shortest.get(serializeState(state));
      if (takes.length === 0 || !prefix) continue;
      candidates.push({ input, initial, prefix, edge: { event, state: nextState }, takes });
    }
  }
  const covered = new Set<string>();
  const paths: ModelPath[] = [];
  // Shortest first, so the plan stays small and each path short.
  candidates.sort((a, b) => a.prefix.length - b.prefix.length);
  for (const c of candidates) {
    if (c.takes.every((k) => covered.has(k))) continue;
    const steps = [...c.prefix, c.edge];
    const takes = new Set<string>();
    let before = c.initial;
    for (const step of steps) {
      for (const d of machine.getTransitionData(before as never, step.event) as unknown[]) {
        const k = keys.get(d);
        if (k) takes.add(k);
      }
      before = step.state;
    }
    for (const k of takes) covered.add(k);
    paths.push({ input: c.input, initial: c.initial, steps, takes: [...takes] });
  }
  const transitions = [...keys.values()];
  return { transitions, paths, uncovered: transitions.filter((k) => !covered.has(k)) };
}
