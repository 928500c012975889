import { randomUUID } from 'node:crypto';
import { describeKept, type IncidentKind, type IncidentRow, type KeptInput } from './incidents';
import type { Step } from './step';

/**
 * Marks the row behind a kept input (its activity, timer or child invocation) `held`, so no
 * worker runs it again and the sweeper does not re-send it. False when that row is no longer
 * open: the input was late (its invocation stopped, its timer cancelled, already applied).
 */
export async function holdRowOf(step: Step, input: KeptInput, fromHeld: boolean): Promise<boolean> {
  const states = fromHeld ? ['scheduled', 'held'] : ['scheduled'];
  switch (input.kind) {
    case 'activity': {
      const r = input.result;
      const row = await step.tx.one(
        `UPDATE activity SET status = 'held', attempts = GREATEST(attempts, $2), last_error = $3, updated_at = now() WHERE id = $1 AND status = ANY($4::text[]) RETURNING id`,
        [input.job.invocationId, r.ok ? 0 : r.attempts, r.ok ? null : r.error, states],
      );
      return !!row;
    }
    case 'timer':
      return !!(await step.tx.one(`UPDATE timer SET status = 'held', fired_at = coalesce(fired_at, now()) WHERE id = $1 AND status = ANY($2::text[]) RETURNING id`, [input.job.timerId, states]));
    case 'child':
      return !!(await step.tx.one(`UPDATE activity SET status = 'held', updated_at = now() WHERE id = $1 AND status = ANY($2::text[]) RETURNING id`, [input.invocationId, states]));
    default:
      return true;
  }
}

/**
 * Opens an incident on the locked instance: the input is kept with it, the instance keeps its
 * state and snapshot, and inputs that arrive meanwhile are held until the incident is retried
 * or resolved. Nothing is compensated or ended. Undefined when the input turned out to be late.
 */
export async function openIncident(
  step: Step,
  kind: IncidentKind,
  error: { name: string; message: string },
  input: KeptInput,
  options: { fromHeld?: boolean; heldId?: string } = {},
): Promise<IncidentRow | undefined> {
  if (options.heldId && (await step.tx.one('DELETE FROM held_input WHERE id = $1 RETURNING id', [options.heldId]))) step.row.held_inputs = Math.max(0, (step.row.held_inputs ?? 0) - 1);
  if (!(await holdRowOf(step, input, options.fromHeld ?? false))) {
    step.record({ kind: 'input.discarded', outcome: 'discarded', reason: 'the input is no longer wanted', data: describeKept(input) });
    return undefined;
  }
  if (input.kind === 'task' && input.completion) {
    // The reviewer's decision stands: the task is closed with it, and its event is what the incident keeps.
    const c = input.completion;
    const closed = await step.tx.one(
      `UPDATE human_task SET status = 'completed', completed_by = $2, decision = $3, data = $4, closed_at = now() WHERE id = $1 AND status = 'open' RETURNING id`,
      [input.taskId, c.by, c.decision, JSON.stringify(c.data)],
    );
    if (closed) step.record({ kind: 'task.completed', outcome: 'ok', data: { taskId: input.taskId, decision: c.decision, by: c.by } });
  }
  const row = await step.tx.one<IncidentRow>(
    `INSERT INTO incident (id, tenant, workflow_id, type, definition_version, kind, status, error, input, state, activity_id)
     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10) RETURNING *`,
    [
      randomUUID(),
      step.row.tenant,
      step.row.id,
      step.row.type,
      step.row.definition_version,
      kind,
      error,
      input,
      JSON.stringify(step.snapshot.value),
      input.kind === 'activity' ? input.job.invocationId : input.kind === 'child' ? input.invocationId : null,
    ],
  );
  step.row.open_incidents = (step.row.open_incidents ?? 0) + 1;
  step.record({ kind: 'incident.opened', outcome: 'failed', reason: error.message, data: { incidentId: row!.id, kind, error, input: describeKept(input) } });
  return row;
}
