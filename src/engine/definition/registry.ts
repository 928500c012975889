import type { AnyStateMachine } from 'xstate';
import { invokedSources } from '../decider/action-adapter';
import { machineStates } from '../decider/machine-states';
import { DECLARED_OUTCOMES } from '../decider/snapshot';
import { Calendars } from './calendars';
import type { ActivityDefinition, WorkflowDefinition } from './definition';
import { DomainError } from '../errors/domain.error';

export type InvokeTarget =
  | { kind: 'activity'; activity: ActivityDefinition }
  | { kind: 'workflow'; definition: WorkflowDefinition };

/** Definitions by type and version. Checked when registered, so a bad one refuses to boot. */
export class DefinitionRegistry {
  /** The business calendars timers in business days are counted in (the shipped ones unless the runtime is given CALENDARS). */
  calendars: Calendars = new Calendars();

  private readonly byKey = new Map<string, WorkflowDefinition>();
  private readonly latest = new Map<string, WorkflowDefinition>();
  private readonly byMachine = new Map<AnyStateMachine, WorkflowDefinition>();

  constructor(definitions: readonly WorkflowDefinition[] = []) {
    for (const d of definitions) this.register(d);
  }

  register(definition: WorkflowDefinition): void {
    const key = `${definition.type}@${definition.version}`;
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(definition.type)) {
      throw new DomainError('definition_invalid', `type "${definition.type}" must be lower-case letters, digits and dashes`);
    }
    if (!Number.isInteger(definition.version) || definition.version < 1) {
      throw new DomainError('definition_invalid', `${key}: version must be a positive integer`);
    }
    if (this.byKey.has(key)) throw new DomainError('definition_invalid', `${key} is registered twice`);
    checkOutcomes(key, definition.machine);
    this.byKey.set(key, definition);
    this.byMachine.set(definition.machine, definition);
    const current = this.latest.get(definition.type);
    if (!current || current.version < definition.version) this.latest.set(definition.type, definition);
  }

  /** Every invoke must resolve to an activity or a registered machine: checked once all are in. */
  validate(): void {
    for (const d of this.byKey.values()) {
      for (const src of invokedSources(d.machine)) this.invokeTarget(d, src);
      const actions = (d.machine.implementations.actions ?? {}) as Record<string, unknown>;
      for (const [name, impl] of Object.entries(actions)) {
        const builtIn = typeof impl === 'function' && 'resolve' in (impl as object);
        if (!builtIn && !d.effects?.[name]) {
          throw new DomainError('definition_invalid', `${d.type}@${d.version}: action "${name}" has no effect implementation`);
        }
      }
    }
  }

  get(type: string, version?: number): WorkflowDefinition {
    const d = version === undefined ? this.latest.get(type) : this.byKey.get(`${type}@${version}`);
    if (!d) {
      const known = this.latest.has(type) ? this.versionsOf(type).map(String) : [...this.latest.keys()].sort();
      const hint = this.latest.has(type) ? `; versions registered: ${known.join(', ')}` : known.length ? `; known types: ${known.join(', ')}` : '';
      throw new DomainError('definition_not_found', `no definition ${version === undefined ? type : `${type}@${version}`}${hint}`, {
        workflowType: type,
        ...(version === undefined ? {} : { version }),
        ...(this.latest.has(type) ? { versions: this.versionsOf(type) } : { knownTypes: known }),
      });
    }
    return d;
  }

  /** The registered versions of `type`, oldest first. */
  versionsOf(type: string): number[] {
    return [...this.byKey.values()].filter((d) => d.type === type).map((d) => d.version).sort((a, b) => a - b);
  }

  /** Whether this process registers that version. */
  has(type: string, version: number): boolean {
    return this.byKey.has(`${type}@${version}`);
  }

  all(): WorkflowDefinition[] {
    return [...this.byKey.values()].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
  }

  invokeTarget(definition: WorkflowDefinition, src: string): InvokeTarget {
    const activity = definition.activities?.[src];
    if (activity) return { kind: 'activity', activity };
    const logic = (definition.machine.implementations.actors as Record<string, unknown>)[src];
    const child = logic ? this.byMachine.get(logic as AnyStateMachine) : undefined;
    if (child) return { kind: 'workflow', definition: child };
    throw new DomainError(
      'definition_invalid',
      `${definition.type}@${definition.version}: invoked src "${src}" is neither an activity nor a registered machine`,
    );
  }
}

/** `meta.outcome` is declared on final states only, and is one of DECLARED_OUTCOMES. */
function checkOutcomes(key: string, machine: AnyStateMachine): void {
  for (const { path, node } of machineStates(machine)) {
    const outcome = (node.meta as { outcome?: unknown } | undefined)?.outcome;
    if (outcome === undefined) continue;
    if ((node as { type?: string }).type !== 'final') {
      throw new DomainError('definition_invalid', `${key}: state "${path}" declares meta.outcome but is not a final state`);
    }
    if (!DECLARED_OUTCOMES.includes(outcome as never)) {
      throw new DomainError('definition_invalid', `${key}: state "${path}" declares meta.outcome ${JSON.stringify(outcome)}; use one of ${DECLARED_OUTCOMES.join(', ')}`);
    }
  }
}
