import { useState } from 'react';
import { api, apiWithStatus, ApiError, enc, type Principal, type Problem } from './api';
import { hasRole } from './me';

/** An input the engine could not apply; the workflow keeps its state and the input is kept for a retry. */
export interface Incident {
  id: string;
  workflowId: string;
  tenant: string;
  type: string;
  definitionVersion: number;
  kind: 'machine_error' | 'input_invalid' | 'activity_exhausted' | 'child_failed' | 'engine_error';
  status: 'open' | 'resolved';
  error: { name?: string; message?: string; code?: string } | null;
  input: ({ kind: 'activity' | 'timer' | 'signal' | 'cancel' | 'child' | 'task' } & Record<string, any>) | null;
  state: unknown;
  retries: number;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
  resolveReason: string | null;
}

/** An operator action kept for a second operator (dual control). */
export interface Approval {
  id: string;
  tenant: string;
  action: 'pause' | 'resume' | 'terminate' | 'move' | 'migrate' | 'retry' | 'resolve' | 'batch';
  target: { workflowId?: string; toState?: string; migration?: Record<string, any>; incidentId?: string; batch?: Record<string, any> };
  reason: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  result: unknown;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Who may act (retry, resolve, pause, resume, terminate, approve) and who may only read incidents and approvals. */
export const mayOperate = (me: Principal) => hasRole(me, 'operator');
export const mayReadOperations = (me: Principal) => hasRole(me, 'operator', 'auditor');

/** What an operator action came to: carried out (200), or kept for a second operator (202). */
export type Outcome<T> = { done: true; result: T } | { done: false; approval: Approval };

/** POSTs an operator action with its reason; a 202 `{pendingApproval}` is not an error, only not done yet. */
export async function operatorAction<T = unknown>(path: string, reason: string, extra: Record<string, unknown> = {}): Promise<Outcome<T>> {
  const { status, body } = await apiWithStatus<any>(path, { method: 'POST', body: { ...extra, reason } });
  if (status === 202 && body?.pendingApproval) return { done: false, approval: body.pendingApproval as Approval };
  return { done: true, result: body as T };
}

export const asProblem = (err: unknown): Problem => (err instanceof ApiError ? err.problem : { title: 'Unexpected error', status: 0, detail: String(err) });

export const KIND_LABELS: Record<Incident['kind'], string> = {
  machine_error: 'machine error',
  input_invalid: 'input refused by the database',
  activity_exhausted: 'activity out of attempts',
  child_failed: 'child workflow failed',
  engine_error: 'engine error',
};

/** The error an incident keeps, as one line: `Error: partner answered 503`. */
export function errorLine(error: Incident['error']): string {
  if (!error) return '—';
  const head = [error.name, error.code ? `(${error.code})` : undefined].filter(Boolean).join(' ');
  return head && error.message ? `${head}: ${error.message}` : (error.message ?? head) || '—';
}

/** The kept input, in a few words: what a retry applies again, what a resolve discards. */
export function inputSummary(input: Incident['input']): string {
  if (!input) return 'no input kept';
  switch (input.kind) {
    case 'activity':
      return `result of activity ${input.activity ?? '?'}${input.activityId && input.activityId !== input.activity ? ` (${input.activityId})` : ''}${
        input.error ? ` — failed${input.attempts ? ` after ${input.attempts} attempt(s)` : ''}${input.error.message ? `: ${input.error.message}` : ''}` : ' — succeeded'
      }`;
    case 'timer':
      return `timer ${input.timerId ?? ''}`.trim();
    case 'signal':
      return `signal ${input.event?.type ?? '?'}`;
    case 'cancel':
      return `cancellation${input.reason ? `: ${input.reason}` : ''}`;
    case 'child':
      return `end of child ${input.childWorkflowId ?? '?'}${input.outcome?.status ? ` (${input.outcome.status})` : ''}`;
    case 'task':
      return `task decision ${input.event?.type ?? ''} (task ${input.taskId ?? '?'})`;
    default:
      return String((input as { kind: string }).kind);
  }
}

export const ACTION_LABELS: Record<Approval['action'], string> = {
  pause: 'Pause',
  resume: 'Resume',
  terminate: 'Terminate',
  move: 'Move to another state',
  migrate: 'Migrate to another version',
  retry: 'Retry incident',
  resolve: 'Resolve incident',
  batch: 'Batch operation',
};

/** `principal:ops-1` as `ops-1`. */
export const principalName = (actor: string | null | undefined) => (actor ? actor.replace(/^principal:/, '') : '—');

/** Approves (carrying the action out, as this operator) or rejects; answers what to tell the operator. */
export async function decideApproval(a: Approval, decision: 'approve' | 'reject', reason: string): Promise<string> {
  const body = reason ? { reason } : {};
  await api(`/v1/operator-approvals/${enc(a.id)}/${decision}`, { method: 'POST', body });
  const what = `${ACTION_LABELS[a.action]}${a.target.workflowId ? ` of ${a.target.workflowId}` : ''}`;
  return decision === 'approve' ? `${what} approved and carried out` : `${what} rejected`;
}

/**
 * An operator action's state on a card: busy while it runs, then a notice (what happened) or
 * the API's problem; `after` runs either way (a refresh).
 */
export function useOperatorAction(after: () => void) {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const run = async (fn: () => Promise<string>): Promise<boolean> => {
    setBusy(true);
    setProblem(undefined);
    setNotice(undefined);
    try {
      setNotice(await fn());
      return true;
    } catch (err) {
      setProblem(asProblem(err));
      return false;
    } finally {
      setBusy(false);
      after();
    }
  };
  return { busy, notice, problem, setProblem, run };
}
