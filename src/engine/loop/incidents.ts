import type { EventObject } from 'xstate';
import { DomainError } from '../errors/domain.error';
import { MachineError } from '../errors/machine.error';
import type { ActivityResult } from './engine-inputs';
import { serializeError } from '../store/instance';
import type { ActivityJob, ChildOutcome, TimerJob } from '../store/jobs';
import { publicId } from '../store/tenancy';

/**
 * Why an input could not be applied, when retrying it unchanged will not help:
 * - `machine_error`: the machine threw (a guard, an assign, an invalid definition);
 * - `input_invalid`: PostgreSQL refuses what the input would write (a data or integrity error);
 * - `activity_exhausted`: an activity failed after its retry policy and the machine has no `onError`;
 * - `child_failed`: a child workflow failed and the parent does not handle it;
 * - `engine_error`: applying it kept failing for a reason the engine does not know, past its retries.
 */
export const INCIDENT_KINDS = ['machine_error', 'input_invalid', 'activity_exhausted', 'child_failed', 'engine_error'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/**
 * An input kept for later: held while the instance is paused or has an open incident, or kept
 * by an incident for its retry. Plain JSON, stored as it is.
 */
export type KeptInput =
  | { kind: 'activity'; job: ActivityJob; result: ActivityResult }
  | { kind: 'timer'; job: TimerJob }
  | { kind: 'child'; invocationId: string; childWorkflowId: string; outcome: ChildOutcome }
  | { kind: 'signal'; event: EventObject }
  | { kind: 'cancel'; reason: string | null }
  | { kind: 'task'; taskId: string; event: EventObject; completion?: { by: string; decision: string; data: unknown } };

/** What an incident or the history shows of a kept input: no job internals, no trace context. */
export function describeKept(input: KeptInput): Record<string, unknown> {
  switch (input.kind) {
    case 'activity':
      return {
        kind: 'activity',
        activityId: input.job.activityId,
        activity: input.job.src,
        invocationId: input.job.invocationId,
        ...(input.result.ok ? { output: input.result.output } : { error: input.result.error, attempts: input.result.attempts }),
      };
    case 'timer':
      return { kind: 'timer', timerId: input.job.timerId };
    case 'child':
      return { kind: 'child', childWorkflowId: publicId(input.childWorkflowId), outcome: input.outcome };
    case 'signal':
      return { kind: 'signal', event: input.event };
    case 'cancel':
      return { kind: 'cancel', reason: input.reason };
    case 'task':
      return { kind: 'task', taskId: input.taskId, event: input.event };
  }
}

/** PostgreSQL classes an input cannot get past by being retried: data exceptions, integrity violations. */
const REFUSED_CLASSES = ['22', '23'];

/**
 * The incident an error opens, or undefined when it may pass and the input is retried with
 * backoff (the default: a database restarting, a lock timeout, anything not known to be
 * permanent). A version this process does not register is not an incident here: its jobs are
 * parked for a process that registers it.
 */
export function incidentKindOf(err: unknown, input: KeptInput): IncidentKind | undefined {
  if (err instanceof MachineError) {
    if (err.unhandledError && input.kind === 'activity' && !input.result.ok) return 'activity_exhausted';
    if (err.unhandledError && input.kind === 'child' && input.outcome.status !== 'completed') return 'child_failed';
    return 'machine_error';
  }
  if (err instanceof DomainError) return err.code === 'definition_invalid' ? 'machine_error' : undefined;
  const code = (err as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (err as { code?: string })?.code;
  if (typeof code === 'string' && REFUSED_CLASSES.includes(code.slice(0, 2)) && /^[0-9A-Z]{5}$/.test(code)) return 'input_invalid';
  return undefined;
}

/** The error as an incident keeps it: name and message (and a PostgreSQL code), never a stack. */
export function incidentError(err: unknown): { name: string; message: string; code?: string; details?: unknown } {
  const e = serializeError(err);
  const code = (err as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (err as { code?: string })?.code;
  return typeof code === 'string' ? { ...e, code } : e;
}

export interface IncidentRow {
  id: string;
  tenant: string;
  workflow_id: string;
  type: string;
  definition_version: number;
  kind: IncidentKind;
  status: 'open' | 'resolved';
  error: unknown;
  input: KeptInput | null;
  state: unknown;
  activity_id: string | null;
  retries: number;
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
  resolve_reason: string | null;
}

export interface IncidentView {
  id: string;
  workflowId: string;
  tenant: string;
  type: string;
  definitionVersion: number;
  kind: IncidentKind;
  status: 'open' | 'resolved';
  error: unknown;
  input: Record<string, unknown> | null;
  state: unknown;
  retries: number;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
  resolveReason: string | null;
}

export function toIncidentView(row: IncidentRow): IncidentView {
  return {
    id: row.id,
    workflowId: publicId(row.workflow_id)!,
    tenant: row.tenant,
    type: row.type,
    definitionVersion: row.definition_version,
    kind: row.kind,
    status: row.status,
    error: row.error,
    input: row.input ? describeKept(row.input) : null,
    state: row.state,
    retries: row.retries,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    resolvedAt: row.resolved_at ? new Date(row.resolved_at).toISOString() : null,
    resolvedBy: row.resolved_by,
    resolution: row.resolution,
    resolveReason: row.resolve_reason,
  };
}
