import type { AnyStateMachine } from 'xstate';
import { resolveRetryPolicy, type RetryPolicy, type WorkflowDefinition } from '../engine/definition/definition';
import { taskOf } from '../engine/definition/human-task';
import { describeBusinessDelay, type BusinessDelay } from '../engine/definition/calendars';

export type NodeType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface DiagramInvoke {
  id: string;
  src: string;
  /** An activity run by the engine's workers (with its retry policy), or a child workflow. */
  kind: 'activity' | 'child';
  retry?: RetryPolicy;
}

export interface DiagramNode {
  /** XState's node id: `<machine id>.<path>`. */
  id: string;
  key: string;
  parent: string | null;
  type: NodeType;
  children: string[];
  /** Initial child ids of a compound state. */
  initial: string[];
  task?: { title: string; groups: string[] };
  invokes: DiagramInvoke[];
  /** A final state's declared business outcome (`meta.outcome`). */
  outcome?: string;
  /** The state's own description (XState's `description`). */
  description?: string;
  /** A compound state drawn closed (see collapse.ts): how many states it holds. */
  collapsedStates?: number;
}

export interface DiagramEdge {
  /** Stable within one model: `e<n>`. */
  id: string;
  source: string;
  /** Empty for a targetless (internal) transition: drawn as a self-loop. */
  targets: string[];
  /** The XState event type (`''` for `always`). */
  eventType: string;
  /** Human-readable event: `review.approved`, `after 4 h (reviewSla)`, `done: scoreTransaction`, `always`. */
  event: string;
  guard?: string;
  /** The transition's own description (XState's `description`), in words for a reviewer. */
  description?: string;
}

export interface StatechartModel {
  type: string;
  version: number;
  rootId: string;
  /** In document order, parents before children. */
  nodes: DiagramNode[];
  byId: Map<string, DiagramNode>;
  edges: DiagramEdge[];
}

/** Milliseconds as the largest whole unit: `30 s`, `4 h`, `1500 ms`. */
export function formatDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return (guard as { name?: string }).name || 'guard';
  const g = guard as { type?: string };
  return typeof g.type === 'string' ? g.type : 'guard';
}

function delayLabel(delay: unknown, delays: Record<string, unknown>): string {
  if (typeof delay === 'number') return `after ${formatDuration(delay)}`;
  const name = String(delay);
  const resolved = delays[name];
  if (typeof resolved === 'number') return `after ${formatDuration(resolved)} (${name})`;
  // A calendar timer says so: in business days of which calendar, at what time.
  const business = (resolved as { business?: BusinessDelay } | undefined)?.business;
  if (business) return `after ${describeBusinessDelay(business)} (${name})`;
  // A function of context and event: only its name is known before run time.
  return `after ${name}`;
}

function eventLabel(eventType: string): string {
  if (eventType.startsWith('xstate.done.actor.')) return `done: ${eventType.slice('xstate.done.actor.'.length)}`;
  if (eventType.startsWith('xstate.error.actor.')) return `error: ${eventType.slice('xstate.error.actor.'.length)}`;
  if (eventType.startsWith('xstate.done.state.')) return `done: ${eventType.slice('xstate.done.state.'.length).split('.').pop()}`;
  if (eventType === '*') return 'any event';
  return eventType;
}

/** Walks `machine.root` once into a neutral model that the Mermaid and DOT writers share. */
export function buildStatechartModel(definition: Pick<WorkflowDefinition, 'type' | 'version' | 'machine' | 'activities'>): StatechartModel {
  const machine: AnyStateMachine = definition.machine;
  const delays = (machine.implementations.delays ?? {}) as Record<string, unknown>;
  const nodes: DiagramNode[] = [];
  const byId = new Map<string, DiagramNode>();
  const edges: DiagramEdge[] = [];
  const addEdge = (edge: Omit<DiagramEdge, 'id'>) => edges.push({ id: `e${edges.length}`, ...edge });

  const visit = (sn: any, parent: string | null) => {
    const node: DiagramNode = {
      id: sn.id,
      key: sn.key,
      parent,
      type: sn.type,
      children: [],
      initial: sn.type === 'compound' ? (sn.initial?.target ?? []).map((t: any) => t.id) : [],
      invokes: [],
    };
    const task = taskOf(sn);
    if (task) node.task = { title: task.title, groups: [...task.candidateGroups] };
    if (sn.type === 'final') {
      const tags: string[] = [...(sn.tags ?? [])];
      node.outcome = tags.includes('failed') ? 'failure' : tags.includes('cancelled') ? 'cancelled' : ((sn.meta as { outcome?: string } | undefined)?.outcome ?? 'success');
    }
    if (typeof sn.description === 'string') node.description = sn.description;
    for (const inv of sn.invoke ?? []) {
      const src = typeof inv.src === 'string' ? inv.src : String(inv.id);
      const activity = definition.activities?.[src];
      node.invokes.push(activity ? { id: inv.id, src, kind: 'activity', retry: resolveRetryPolicy(activity.retry) } : { id: inv.id, src, kind: 'child' });
    }
    nodes.push(node);
    byId.set(node.id, node);
    if (parent) byId.get(parent)!.children.push(node.id);

    const afterByEvent = new Map<string, unknown>();
    for (const a of sn.after ?? []) afterByEvent.set(a.eventType, a.delay);
    for (const [eventType, transitions] of sn.transitions as Map<string, any[]>) {
      for (const t of transitions) {
        const event = afterByEvent.has(eventType) ? delayLabel(afterByEvent.get(eventType), delays) : eventLabel(eventType);
        addEdge({ source: node.id, targets: (t.target ?? []).map((x: any) => x.id), eventType, event, guard: guardName(t.guard), ...(t.description ? { description: t.description } : {}) });
      }
    }
    for (const t of sn.always ?? []) {
      addEdge({ source: node.id, targets: (t.target ?? []).map((x: any) => x.id), eventType: '', event: 'always', guard: guardName(t.guard), ...(t.description ? { description: t.description } : {}) });
    }
    for (const child of Object.values(sn.states ?? {})) visit(child, node.id);
  };
  visit(machine.root, null);
  return { type: definition.type, version: definition.version, rootId: machine.root.id, nodes, byId, edges };
}

/** Retry policy in one line: `5 attempts, 1 s ×2 up to 100 s`. */
export function describeRetry(policy: RetryPolicy): string {
  const parts = [`${policy.maximumAttempts} attempt${policy.maximumAttempts === 1 ? '' : 's'}`];
  if (policy.maximumAttempts > 1) {
    parts.push(`${formatDuration(policy.initialIntervalMs)} x${policy.backoffCoefficient} up to ${formatDuration(policy.maximumIntervalMs)}`);
  }
  if (policy.nonRetryableErrorTypes.length) parts.push(`no retry on ${policy.nonRetryableErrorTypes.join(', ')}`);
  return parts.join(', ');
}

export function describeInvoke(inv: DiagramInvoke): string {
  return inv.kind === 'activity' ? `activity ${inv.src} (retry: ${describeRetry(inv.retry!)})` : `child workflow ${inv.src}`;
}

export function describeTask(task: NonNullable<DiagramNode['task']>): string {
  return `task: ${task.title} [${task.groups.join(', ')}]`;
}

/** What an instance went through: states entered (ancestors included), edges taken, and the active leaves. */
export interface InstanceMarking {
  visited: Set<string>;
  current: Set<string>;
  edges: Set<string>;
}

export interface HistoryStep {
  kind: string;
  event: unknown;
  stateBefore: unknown;
  stateAfter: unknown;
  outcome: string;
}

/** A state value (`'a'`, `{ a: 'b' }`, parallel objects) as the ids of every active node, root included. */
export function activeNodeIds(rootId: string, value: unknown): Set<string> {
  const ids = new Set<string>([rootId]);
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') {
      ids.add(`${prefix}.${v}`);
    } else if (v && typeof v === 'object') {
      for (const [k, sub] of Object.entries(v)) {
        ids.add(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, sub);
      }
    }
  };
  walk(rootId, value);
  return ids;
}

export function markInstance(model: StatechartModel, history: readonly HistoryStep[], currentValue: unknown): InstanceMarking {
  const known = (ids: Set<string>) => new Set([...ids].filter((id) => model.byId.has(id)));
  const visited = new Set<string>();
  const edges = new Set<string>();
  for (const step of history) {
    const started = step.kind === 'workflow.started';
    if (!started && step.outcome !== 'accepted') continue;
    if (step.stateAfter === null || step.stateAfter === undefined) continue;
    const after = known(activeNodeIds(model.rootId, step.stateAfter));
    after.forEach((id) => visited.add(id));
    if (started || step.stateBefore === null || step.stateBefore === undefined) continue;
    const before = known(activeNodeIds(model.rootId, step.stateBefore));
    const type = (step.event as { type?: unknown } | null)?.type;
    for (const e of model.edges) {
      if (!before.has(e.source)) continue;
      if (e.eventType !== '' && e.eventType !== type) continue;
      if (e.targets.length === 0 ? e.eventType === type : e.targets.some((t) => after.has(t)) && (e.eventType === type || !after.has(e.source))) edges.add(e.id);
    }
  }
  const active = known(activeNodeIds(model.rootId, currentValue));
  active.forEach((id) => visited.add(id));
  const current = new Set([...active].filter((id) => model.byId.get(id)!.children.length === 0));
  return { visited, current, edges };
}
