import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { z } from 'zod';
import type { WorkflowDefinition } from '../engine/definition/definition';
import type { StatePath } from './paths';
import type { DiagramEdge, StatechartModel } from './statechart-model';

/** Whether a path of the report was shown to run on the machine itself, and with which events. */
export type PathRun = { shown: true; events: string[] } | { shown: false; step: number; why: string };

const ERROR_NAMES = ['Error', 'PartnerRejectedError', 'PartnerUnavailableError', 'NonRetryableError', 'ActivityTimeoutError'];
const MAX_CANDIDATES = 64;

function leaves(snapshot: AnyMachineSnapshot): Set<string> {
  const nodes = (snapshot as unknown as { _nodes: { id: string; type: string }[] })._nodes;
  return new Set(nodes.filter((n) => n.type === 'atomic' || n.type === 'final').map((n) => n.id));
}

/** Every string in the context, for payload fields that must name something the instance holds (a reference, an id). */
function contextStrings(value: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (typeof value === 'string' && value.length <= 200) out.add(value);
  else if (value && typeof value === 'object' && depth < 4) for (const v of Object.values(value)) contextStrings(v, out, depth + 1);
  return out;
}

type JsonSchema = { type?: string | string[]; enum?: unknown[]; const?: unknown; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; anyOf?: JsonSchema[]; default?: unknown };

/** Values worth trying for one schema: every enum member and boolean, bounds and round numbers, the context's strings. */
function values(schema: JsonSchema, strings: string[]): unknown[] {
  if (schema.const !== undefined) return [schema.const];
  if (schema.enum) return schema.enum;
  if (schema.anyOf) return schema.anyOf.flatMap((s) => values(s, strings));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'boolean') return [true, false];
  if (type === 'integer' || type === 'number') {
    const lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
    const hi = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : undefined);
    return [...new Set([lo, hi, 0, 1, 50, 100, 500, 1000, 10_000, 1_000_000].filter((n): n is number => n !== undefined && (lo === undefined || n >= lo) && (hi === undefined || n <= hi)))];
  }
  if (type === 'string') return ['example', ...strings];
  if (type === 'array') return [[], ...(schema.items ? values(schema.items, strings).slice(0, 2).map((v) => [v]) : [])];
  if (type === 'object' || schema.properties) return objects(schema, strings);
  return [null];
}

/** Objects for a schema: the first value of every field, then each field varied alone over its values. */
function objects(schema: JsonSchema, strings: string[]): Record<string, unknown>[] {
  const fields = Object.entries(schema.properties ?? {});
  const options = fields.map(([k, s]) => [k, values(s, strings)] as const);
  const base = Object.fromEntries(options.filter(([, v]) => v.length).map(([k, v]) => [k, v[0]]));
  const out: Record<string, unknown>[] = [base, Object.fromEntries(Object.entries(base).filter(([k]) => schema.required?.includes(k)))];
  for (const [k, vs] of options) for (const v of vs.slice(1)) if (out.length < MAX_CANDIDATES) out.push({ ...base, [k]: v });
  return out;
}

/** The events that could take `edge` from `snapshot`: payloads drawn from the event's declared schema. */
function candidates(definition: WorkflowDefinition, edge: DiagramEdge, snapshot: AnyMachineSnapshot): EventObject[] {
  const type = edge.eventType;
  if (type.startsWith('xstate.after.')) return [{ type }];
  if (type.startsWith('xstate.done.actor.')) {
    // The invoke's id names the activity through the state's invocation (its `src`).
    const src = invokedSrc(snapshot, type.slice('xstate.done.actor.'.length));
    const answers = (src && definition.activities?.[src]?.exampleAnswers) || [];
    return [...answers, {}].map((output) => ({ type, output }) as EventObject);
  }
  if (type.startsWith('xstate.error.actor.')) return ERROR_NAMES.map((name) => ({ type, error: { name, message: 'failed' } }) as EventObject);
  const schema = definition.events?.[type];
  if (!schema) return [{ type }];
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return [];
  }
  const strings = [...contextStrings(snapshot.context)].slice(0, 12);
  return objects(json, strings)
    .map((payload) => schema.safeParse(payload))
    .filter((r) => r.success)
    .map((r) => ({ type, ...(r.data as object) }));
}

/** The `src` of the invocation with this id among the active states' invocations. */
function invokedSrc(snapshot: AnyMachineSnapshot, invokeId: string): string | undefined {
  const nodes = (snapshot as unknown as { _nodes: { invoke: { id: string; src: unknown }[] }[] })._nodes;
  for (const n of nodes) for (const inv of n.invoke ?? []) if (inv.id === invokeId && typeof inv.src === 'string') return inv.src;
  return undefined;
}

function why(edge: DiagramEdge): string {
  if (edge.eventType.startsWith('xstate.done.actor.')) return `its guard depends on the answer of ${edge.eventType.slice('xstate.done.actor.'.length)}, whose answers the definition does not give (exampleAnswers)`;
  if (edge.eventType === '') return 'an automatic transition whose guard did not hold';
  return edge.guard ? `no payload the schema of ${edge.eventType} allows made [${edge.guard}] hold` : `the machine did not take ${edge.event} here`;
}

/**
 * Runs a path of the report on the definition's own machine, with XState's pure transitions:
 * from the example input, each step's event built as the engine would deliver it — a timer's
 * fire, an activity's answer (its output unknown: empty), an error by each known name, a
 * signal with payloads drawn from its declared schema (enum members, booleans, bounds, the
 * instance's own strings) — and kept when the machine takes the step. A path shown to run is
 * one whose guards can all hold; one not shown names the step and why (most often a guard
 * over an activity's answer, which no schema describes).
 */
export function runPath(definition: WorkflowDefinition, model: StatechartModel, path: StatePath): PathRun {
  if (definition.exampleInput === undefined) return { shown: false, step: 0, why: 'the definition has no example input to start from' };
  const machine = definition.machine;
  const parsed = definition.input.safeParse(definition.exampleInput);
  if (!parsed.success) return { shown: false, step: 0, why: 'the example input does not match the input schema' };
  const full = (state: string) => `${model.rootId}.${state}`;
  let [snapshot] = initialTransition(machine, parsed.data);
  if (!leaves(snapshot).has(full(path.states[0]))) return { shown: false, step: 0, why: 'the machine does not start where the path does' };
  const edges = new Map(model.edges.map((e) => [e.id, e]));
  const used: string[] = [];
  for (let i = 0; i < path.edges.length; i++) {
    const edge = edges.get(path.edges[i])!;
    const target = full(path.states[i + 1]);
    // An automatic transition was already taken by the step before.
    if (edge.eventType === '' && leaves(snapshot).has(target)) continue;
    let next: AnyMachineSnapshot | undefined;
    let threw = false;
    for (const event of candidates(definition, edge, snapshot)) {
      let after: AnyMachineSnapshot;
      try {
        [after] = transition(machine, snapshot, event as never);
      } catch {
        // An action read a field of an answer the run cannot know (an activity's output).
        threw = true;
        continue;
      }
      if (after !== snapshot && leaves(after).has(target)) {
        next = after;
        const { type, ...payload } = event as EventObject & Record<string, unknown>;
        const output = (payload as { output?: unknown }).output;
        used.push(
          !type.startsWith('xstate.') && Object.keys(payload).length
            ? `${type} ${JSON.stringify(payload)}`
            : output && typeof output === 'object' && Object.keys(output).length
              ? `${edge.event} ${JSON.stringify(output)}`
              : edge.event,
        );
        break;
      }
    }
    if (!next) return { shown: false, step: i, why: threw && edge.eventType.startsWith('xstate.done.actor.') ? `it needs the answer of ${edge.eventType.slice('xstate.done.actor.'.length)}, whose answers the definition does not give (exampleAnswers)` : why(edge) };
    snapshot = next;
  }
  return { shown: true, events: used };
}
