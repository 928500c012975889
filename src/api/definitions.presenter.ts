import { z } from 'zod';
import { resolveRetryPolicy, DEFAULT_START_TO_CLOSE_TIMEOUT_MS, DEFAULT_CANCEL_EVENT, type WorkflowDefinition } from '../engine/definition/definition';
import { machineStates } from '../engine/decider/machine-states';
import type { DefinitionRegistry } from '../engine/definition/registry';
import { moveTargets } from '../engine/decider/jump';

export interface DefinitionDescription {
  type: string;
  version: number;
  latest: boolean;
  description: string | null;
  input: unknown;
  exampleInput: unknown;
  events: { type: string; payload: unknown }[];
  cancelEvent: string;
  activities: { name: string; retry: unknown; startToCloseTimeoutMs: number }[];
  states: string[];
  /** The states an operator may move an instance to (not final): POST /v1/workflows/{id}/move. */
  moveTargets: string[];
}

/** What a newcomer needs to start and drive a workflow from the docs alone. */
export function describeDefinition(registry: DefinitionRegistry, d: WorkflowDefinition): DefinitionDescription {
  return {
    type: d.type,
    version: d.version,
    latest: registry.get(d.type).version === d.version,
    description: d.description ?? null,
    input: jsonSchema(d.input),
    exampleInput: d.exampleInput,
    events: Object.entries(d.events ?? {}).map(([type, payload]) => ({ type, payload: jsonSchema(payload) })),
    cancelEvent: d.cancelEvent ?? DEFAULT_CANCEL_EVENT,
    activities: Object.entries(d.activities ?? {}).map(([name, a]) => ({
      name,
      retry: resolveRetryPolicy(a.retry),
      startToCloseTimeoutMs: a.startToCloseTimeoutMs ?? DEFAULT_START_TO_CLOSE_TIMEOUT_MS,
    })),
    states: machineStates(d.machine).map((s) => s.path),
    moveTargets: moveTargets(d.machine).map((t) => t.path),
  };
}

/** A zod schema as JSON Schema (input side); what it cannot express is left open. */
export function jsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
  } catch {
    return {};
  }
}
