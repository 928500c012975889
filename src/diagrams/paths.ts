import { getSimplePaths } from '@xstate/graph';
import { createMachine, type AnyStateMachine } from 'xstate';
import type { DiagramEdge, StatechartModel } from './statechart-model';

export interface StatePath {
  /** The leaf states in order, from the initial one to a final one. */
  states: string[];
  /** The transitions between them: `event [guard]`. */
  steps: string[];
  /** The same transitions, as the model's edge ids. */
  edges: string[];
  final: string;
}

/**
 * Every path from the start to each final state. The statechart is projected onto its leaf
 * states (a transition of a compound state leaves each of its leaves; a compound target
 * enters its initial leaf), each transition becomes an unguarded event, and @xstate/graph
 * enumerates the simple paths: guards are conditions written on the path, not evaluated.
 */
export function pathsToFinalStates(model: StatechartModel): StatePath[] {
  const leaves = model.nodes.filter((n) => n.type === 'atomic' || n.type === 'final');
  const key = new Map(leaves.map((n, i) => [n.id, `s${i}`]));
  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let n = model.byId.get(id); n; n = n.parent ? model.byId.get(n.parent) : undefined) out.push(n.id);
    return out;
  };
  const enter = (id: string): string => {
    const node = model.byId.get(id)!;
    return node.type === 'compound' && node.initial.length > 0 ? enter(node.initial[0]) : id;
  };
  const edgeById = new Map<string, DiagramEdge>(model.edges.map((e) => [e.id, e]));
  const states: Record<string, { type?: 'final'; on?: Record<string, string> }> = {};
  for (const leaf of leaves) {
    const on: Record<string, string> = {};
    if (leaf.type !== 'final') {
      const from = new Set(ancestors(leaf.id));
      for (const e of model.edges) {
        // A targetless transition keeps the state: it is no step of a path.
        if (from.has(e.source) && e.targets.length > 0) on[e.id] = `#${key.get(enter(e.targets[0]))}`;
      }
    }
    states[key.get(leaf.id)!] = leaf.type === 'final' ? { type: 'final' } : { on };
  }
  const initial = key.get(enter(model.rootId))!;
  const projected: AnyStateMachine = createMachine({
    id: 'projection',
    initial,
    states: Object.fromEntries(Object.entries(states).map(([k, s]) => [k, { ...s, id: k }])),
  } as never);
  const names = new Map([...key].map(([id, k]) => [k, id.slice(model.rootId.length + 1)]));
  const events = model.edges.filter((e) => e.targets.length > 0).map((e) => ({ type: e.id }));
  const paths = getSimplePaths(projected, { events }) as unknown as { state: { value: string; status: string }; steps: { event: { type: string }; state: { value: string } }[] }[];
  return paths
    .filter((p) => p.state.status === 'done')
    .map((p) => {
      const steps = p.steps.filter((s) => s.event.type !== 'xstate.init');
      const label = (e: DiagramEdge) => (e.guard ? `${e.event} [${e.guard}]` : e.event);
      return {
        states: [names.get(initial)!, ...steps.map((s) => names.get(s.state.value)!)],
        steps: steps.map((s) => label(edgeById.get(s.event.type)!)),
        edges: steps.map((s) => s.event.type),
        final: names.get(p.state.value)!,
      };
    });
}
