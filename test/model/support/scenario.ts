import type { AnyMachineSnapshot, EventObject } from 'xstate';
import type { WorkflowDefinition } from '../../../src/engine';
import type { SandboxClient } from '../../../src/sandbox/client';
import type { ProcessDeps } from '../../../machines/shared/process-deps';

export { timerEvents } from '../../../src/testing/simulate';

/**
 * How the model-based runner drives one process. The runner traverses the machine with
 * @xstate/graph using `events(snapshot)`, picks paths that together take every transition,
 * and runs each path on the real engine (PostgreSQL, BullMQ) against a real sandbox:
 *
 * - a signal (any event not starting with `xstate.`) is sent through the engine as a client would;
 * - `xstate.done.actor.<id>` / `xstate.error.actor.<id>` are produced by the real activity or
 *   child workflow: before the workflow starts, the runner calls `arrange` for each of them,
 *   in path order, so the sandbox answers the way the path needs (script entries with
 *   `match.idempotencyKeyPrefix: ctx.workflowId`, so paths running at once do not mix);
 * - `xstate.after.<delay>.<stateId>` is fired by the runner, which promotes the instance's
 *   BullMQ delayed job: build the definitions with every delay long (one hour or more) so no
 *   timer fires unless the path takes it.
 *
 * After each step the persisted state must equal the model's; at the end the accepted
 * events in the history must be the path's events, and status and output must match.
 */
export interface ModelScenario {
  type: string;
  /** The definitions to register: the machine under test and every child it invokes. */
  definitions(deps: ProcessDeps): WorkflowDefinition[];
  /** Inputs to traverse from; the union of their paths must take every transition. */
  inputs: unknown[];
  /** Events worth trying in this snapshot, payloads included (see `doneEvent`, `errorEvent`, `timerEvents`). */
  events(snapshot: AnyMachineSnapshot): EventObject[];
  /** Context that distinguishes states for the traversal (default: none, the state value alone). */
  stateKey?(snapshot: AnyMachineSnapshot): string;
  /** Once per path, before the workflow starts: what the partners must hold for this input (accounts, say). */
  prepare?(input: unknown, ctx: Omit<ArrangeContext, 'snapshot' | 'upcoming'>): Promise<void>;
  /** Scripts the sandbox so that the real activity or child produces `event`. */
  arrange?(event: EventObject, ctx: ArrangeContext): Promise<void>;
}

export interface ArrangeContext {
  /** Every partner call of this instance and of its children has an Idempotency-Key starting with this. */
  workflowId: string;
  partners: SandboxClient;
  /** The model's snapshot just before `event`. */
  snapshot: AnyMachineSnapshot;
  /** The path's events after this one: a partner call may have to be shaped for what comes later. */
  upcoming: EventObject[];
}

export function doneEvent(invokeId: string, output: unknown): EventObject {
  return { type: `xstate.done.actor.${invokeId}`, output } as EventObject;
}

/** An activity's error as the engine delivers it: the serialised error, `name` included. */
export function errorEvent(invokeId: string, error: { name: string; message: string; details?: unknown }): EventObject {
  return { type: `xstate.error.actor.${invokeId}`, error } as EventObject;
}
