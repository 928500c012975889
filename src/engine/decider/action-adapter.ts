import type { AnyStateMachine } from 'xstate';
import { DomainError } from '../errors/domain.error';

/**
 * The one place that reads XState's action objects. `transition()` executes nothing: it
 * returns plain actions, and this adapter turns them into the effects the engine performs
 * after the commit. Shapes (xstate 5.33): invoke → `xstate.spawnChild {id, src, input}`;
 * leaving it → `xstate.stopChild` whose params is the child ref or its id; `after` →
 * `xstate.raise {event, id, delay}`; leaving → `xstate.cancel {sendId}`; `emit` →
 * `xstate.emit {event}`; any other type is a named action with resolved params.
 */
export type EngineEffect =
  | { kind: 'invoke'; childId: string; src: string; input: unknown }
  | { kind: 'stop'; childId: string }
  | { kind: 'timer'; sendId: string; event: { type: string; [k: string]: unknown }; delayMs: number }
  | { kind: 'cancelTimer'; sendId: string }
  | { kind: 'emit'; event: { type: string; [k: string]: unknown } }
  | { kind: 'effect'; name: string; params: Record<string, unknown> };

interface RawAction {
  type: string;
  params?: unknown;
}

const IGNORED = new Set(['xstate.log', 'xstate.assign']);

export function toEngineEffects(actions: readonly RawAction[], machineId: string): EngineEffect[] {
  const effects: EngineEffect[] = [];
  for (const action of actions) {
    const params = (action.params ?? {}) as Record<string, any>;
    switch (action.type) {
      case 'xstate.spawnChild':
        if (typeof params.src !== 'string' || typeof params.id !== 'string') {
          throw invalid(machineId, 'every invoke needs an explicit `id` and a `src` named in setup({ actors })');
        }
        effects.push({ kind: 'invoke', childId: params.id, src: params.src, input: params.input ?? null });
        break;
      case 'xstate.stopChild': {
        const ref = action.params as { id?: string } | string | undefined;
        const childId = typeof ref === 'string' ? ref : ref?.id;
        if (childId) effects.push({ kind: 'stop', childId });
        break;
      }
      case 'xstate.raise':
        // An immediate raise was already processed inside transition().
        if (params.delay === undefined) break;
        effects.push(timer(machineId, params));
        break;
      case 'xstate.sendTo':
        if (params.delay === undefined || !isSelf(params)) {
          throw invalid(machineId, 'only delayed sendTo to the machine itself is supported; children report through the engine');
        }
        effects.push(timer(machineId, params));
        break;
      case 'xstate.cancel':
        effects.push({ kind: 'cancelTimer', sendId: String(params.sendId) });
        break;
      case 'xstate.emit':
        effects.push({ kind: 'emit', event: params.event });
        break;
      case 'xstate.sendParent':
        throw invalid(machineId, 'sendParent is not supported: a child reports back through its output');
      default:
        if (IGNORED.has(action.type)) break;
        if (action.type.startsWith('xstate.')) {
          throw invalid(machineId, `action ${action.type} is not supported by the engine`);
        }
        effects.push({ kind: 'effect', name: action.type, params: (action.params ?? {}) as Record<string, unknown> });
    }
  }
  return effects;
}

function timer(machineId: string, params: Record<string, any>): EngineEffect {
  if (typeof params.id !== 'string') throw invalid(machineId, 'every delayed event needs an explicit id');
  const delayMs = Number(params.delay);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw invalid(machineId, `delay of ${params.id} is not a number of milliseconds`);
  return { kind: 'timer', sendId: params.id, event: params.event, delayMs };
}

function isSelf(params: Record<string, any>): boolean {
  const to = params.to ?? params.targetId;
  return to === undefined || (typeof to === 'object' && to !== null && to.sessionId === undefined) || to === 'self';
}

function invalid(machineId: string, message: string): DomainError {
  return new DomainError('definition_invalid', `machine ${machineId}: ${message}`);
}

/** The `src` keys of every invoke in the machine, for checking them at registration. */
export function invokedSources(machine: AnyStateMachine): string[] {
  const sources = new Set<string>();
  const walk = (node: any): void => {
    for (const inv of node.invoke ?? []) {
      if (typeof inv.src === 'string') sources.add(inv.src);
    }
    for (const child of Object.values(node.states ?? {})) walk(child);
  };
  walk(machine.root);
  return [...sources];
}

/** One effect in words, as reports show them: `invoke reserveFunds`, `timer approvalTimeout.demo-transfer.awaitingApproval in 600000 ms`, `effect notifyCustomer`. */
export function describeEffect(e: EngineEffect): string {
  switch (e.kind) {
    case 'invoke':
      return `invoke ${e.src}`;
    case 'stop':
      return `stop ${e.childId}`;
    case 'timer':
      return `timer ${e.event.type.replace(/^xstate\.after\./, '')} in ${e.delayMs} ms`;
    case 'cancelTimer':
      return `cancel timer ${e.sendId.replace(/^xstate\.after\./, '')}`;
    case 'emit':
      return `emit ${e.event.type}`;
    case 'effect':
      return `effect ${e.name}`;
  }
}
