import type { AnyStateNode } from 'xstate';
import type { WorkflowDefinition } from './definition';

/**
 * A way out of a state while an invocation of it that changes something at a partner (an
 * activity without `sideEffects: false`, or a child workflow) may still be running: a timer,
 * a signal or a cancel that leaves the state stops the invocation, but not what the partner
 * already did. The rule (README, "Writing a process"): such a state is left only on the
 * invocation's own answer — a signal or cancel that arrives meanwhile is remembered and acted on
 * when the answer comes — or the exit first reconciles with the partner.
 */
export interface UnsafeExit {
  /** The state's id (`payment-settlement.executingFx`). */
  state: string;
  /** The invocation whose outcome would be left unknown. */
  invoke: string;
  /** `after` (a timer) or the event that leaves. */
  trigger: string;
  /** Where it goes. */
  target: string;
}

/** The machine's state nodes, depth first. */
function nodesOf(root: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const walk = (node: AnyStateNode) => {
    out.push(node);
    for (const child of Object.values(node.states ?? {})) walk(child as AnyStateNode);
  };
  walk(root);
  return out;
}

/** Whether `target` is `state` itself or inside it (a transition there does not stop its invocations). */
function within(target: AnyStateNode, state: AnyStateNode): boolean {
  for (let n: AnyStateNode | undefined = target; n; n = n.parent) if (n === state) return true;
  return false;
}

/**
 * Every transition of `definition` that leaves a state (or a state above it) while an
 * effectful invocation of that state is outstanding: timers, signals and cancels. An invocation
 * counts as effectful unless its activity declares `sideEffects: false` (a read, a quote).
 */
export function unsafeExits(definition: WorkflowDefinition): UnsafeExit[] {
  const found: UnsafeExit[] = [];
  for (const node of nodesOf(definition.machine.root)) {
    const effectful = (node.invoke ?? []).filter((inv) => {
      const src = typeof inv.src === 'string' ? inv.src : undefined;
      const activity = src === undefined ? undefined : definition.activities?.[src];
      return activity ? activity.sideEffects !== false : true;
    });
    if (effectful.length === 0) continue;
    const own = new Set(effectful.flatMap((inv) => [`xstate.done.actor.${inv.id}`, `xstate.error.actor.${inv.id}`]));
    // Transitions of this state and of its ancestors: an ancestor's also leaves it.
    for (let holder: AnyStateNode | undefined = node; holder; holder = holder.parent) {
      for (const [event, transitions] of holder.transitions) {
        if (own.has(event)) continue;
        for (const t of transitions) {
          for (const target of t.target ?? []) {
            if (within(target, node)) continue;
            for (const inv of effectful) {
              found.push({ state: node.id, invoke: inv.id, trigger: event.startsWith('xstate.after.') ? `after ${event.split('.')[2]}` : event, target: target.id });
            }
          }
        }
      }
    }
  }
  return found;
}
