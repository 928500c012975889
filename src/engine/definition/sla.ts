import type { AnyStateMachine } from 'xstate';
import { machineStates } from '../decider/machine-states';

/**
 * A state's expected maximum duration, declared in its `meta.sla`:
 * `meta: { sla: { maxDurationMs: 4 * 3600_000 } }`. An instance still in the state after
 * that long is overdue: counted, listed by `GET /v1/workflows?overdue=true`, logged once.
 */
export interface StateSla {
  maxDurationMs: number;
}

export interface StateSlaEntry extends StateSla {
  /** The state's dotted path from the root, as in `workflow_instance.state_paths`. */
  path: string;
}

export function slaOf(node: { meta?: unknown }): StateSla | undefined {
  const sla = (node.meta as { sla?: StateSla } | undefined)?.sla;
  return sla && Number.isFinite(sla.maxDurationMs) && sla.maxDurationMs > 0 ? sla : undefined;
}

/** Every state of the machine that declares an SLA, with its dotted path (the root itself has none). */
export function stateSlas(machine: AnyStateMachine): StateSlaEntry[] {
  return machineStates(machine).flatMap(({ path, node }) => {
    const sla = slaOf(node);
    return sla ? [{ path, maxDurationMs: sla.maxDurationMs }] : [];
  });
}

/** One row of the SLA table the read side and the monitor query with: a state of one definition version. */
export interface SlaRule {
  type: string;
  version: number;
  state: string;
  maxDurationMs: number;
}

/** The SLAs of every registered definition version (running instances keep their version's). */
export function slaRules(definitions: readonly { type: string; version: number; machine: AnyStateMachine }[]): SlaRule[] {
  return definitions.flatMap((d) => stateSlas(d.machine).map((s) => ({ type: d.type, version: d.version, state: s.path, maxDurationMs: s.maxDurationMs })));
}
