import { DomainError } from '../engine/errors/domain.error';
import type { DiagramEdge, DiagramNode, InstanceMarking, StatechartModel } from './statechart-model';

/** The compound states of a model, as paths from the machine's root (`underwriting`, `orderOpen.partial`). */
export function compoundStatePaths(model: StatechartModel): string[] {
  return model.nodes.filter((n) => n.id !== model.rootId && n.children.length > 0).map((n) => statePath(model, n.id));
}

export function statePath(model: StatechartModel, id: string): string {
  return id.slice(model.rootId.length + 1);
}

/**
 * The model with the compound states at `paths` drawn closed: each is one box saying how many
 * states it holds, the transitions of its inside that leave it start from the box, those that
 * enter it end at the box, and those wholly inside are gone. A collapsed state inside another
 * collapsed one is absorbed by the outer. An instance's marking follows: the box is current
 * (visited) when a state inside it is.
 */
export function collapseModel(model: StatechartModel, paths: readonly string[], marking?: InstanceMarking): { model: StatechartModel; marking?: InstanceMarking } {
  const closed = new Set(paths.map((p) => `${model.rootId}.${p}`));
  if (closed.size === 0) return { model, marking };
  /** The outermost closed state at or above `id`, if any. */
  const closedAt = (id: string): string | undefined => {
    let found: string | undefined;
    for (let n: string | null = id; n; n = model.byId.get(n)!.parent) if (closed.has(n)) found = n;
    return found;
  };
  const drawnAs = (id: string) => closedAt(id) ?? id;
  const hidden = (id: string) => {
    const c = closedAt(id);
    return c !== undefined && c !== id;
  };
  /** How many states a closed state holds, at any depth. */
  const holds = (of: string): number => model.nodes.filter((n) => n.id !== of && closedAt(n.id) === of).length;

  const nodes: DiagramNode[] = model.nodes
    .filter((n) => !hidden(n.id))
    .map((n) => (closedAt(n.id) === n.id ? { ...n, children: [], initial: [], collapsedStates: holds(n.id) } : n));
  const seen = new Set<string>();
  const edges: DiagramEdge[] = [];
  for (const e of model.edges) {
    // Wholly inside one closed state (its own transitions to its children, and self-loops inside, included): not drawn.
    const box = closedAt(e.source);
    if (box !== undefined && (e.targets.length === 0 ? hidden(e.source) : e.targets.every((t) => closedAt(t) === box))) continue;
    const source = drawnAs(e.source);
    const targets = [...new Set(e.targets.map(drawnAs))];
    const key = `${source}|${targets.join(',')}|${e.event}|${e.guard ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ ...e, source, targets });
  }
  const collapsed: StatechartModel = { ...model, nodes, byId: new Map(nodes.map((n) => [n.id, n])), edges };
  if (!marking) return { model: collapsed };
  const up = (ids: Set<string>) => new Set([...ids].map(drawnAs));
  return { model: collapsed, marking: { visited: up(marking.visited), current: up(marking.current), edges: marking.edges } };
}

/** `?collapse=a,b.c`: compound state paths of the definition's machine; anything else is a 400 naming the ones there are. */
export function parseCollapse(model: StatechartModel, raw: unknown): string[] {
  if (raw === undefined || raw === '') return [];
  const compound = compoundStatePaths(model);
  // `collapse=a,b` or `collapse=a&collapse=b` (an array from the query parser, or from a caller).
  const parts = Array.isArray(raw) ? raw : [raw];
  const paths = parts.every((p) => typeof p === 'string') ? (parts as string[]).flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean) : null;
  const wrong = paths === null ? [String(raw)] : paths.filter((p) => !compound.includes(p));
  if (paths === null || wrong.length) {
    const known = compound.length ? `its compound states are ${compound.join(', ')}` : 'it has no compound state';
    throw new DomainError('validation_failed', 'the request does not match its schema', {
      errors: [{ field: 'collapse', message: `${wrong.join(', ')} ${wrong.length === 1 ? 'is not a compound state' : 'are not compound states'} of ${model.type} v${model.version}: ${known}` }],
    });
  }
  return paths;
}
