import type { DataSource } from 'typeorm';
import { resolveRetryPolicy } from '../definition/definition';
import { DomainError } from '../errors/domain.error';
import type { Actor } from '../store/history';
import { describeKept, incidentError, incidentKindOf, toIncidentView, type IncidentRow, type IncidentView, type KeptInput } from './incidents';
import { toView, type InstanceRow, type WorkflowView } from '../store/instance';
import { activityEntry, type ActivityJob } from '../store/jobs';
import { query } from '../store/sql';
import type { Step } from './step';
import { publicId } from '../store/tenancy';
import { applyKept, type StepHook, type WorkflowEngine } from './workflow-engine';
import { moveTargets } from '../decider/jump';
import { restore, TERMINAL as TERMINAL_STATUSES } from '../decider/snapshot';
import { planMigration, type MigrationPlan, type MigrationRequest, type OpenWork } from './migration';
import type { Tx } from '../store/sql';

/** Who acts, why, and (for a batch) what to do in the same transaction. */
export interface OperatorCall {
  actor: Actor;
  reason: string;
  /** Runs on the locked instance before the action, in its transaction. */
  hook?: StepHook;
  /** Recorded with the action when it is one item of a batch. */
  batchId?: string;
  /** The operator approval that released this action (dual control), who asked for it and who approved it. */
  approvalId?: string;
  requestedBy?: string;
  approvedBy?: string;
}

export const WORKFLOW_ACTIONS = ['pause', 'resume', 'terminate'] as const;
export const INCIDENT_ACTIONS = ['retry', 'resolve'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

/** What the history records of an operator call besides its actor and reason: its batch and its approval. */
export function operatorNotes(call: Pick<OperatorCall, 'batchId' | 'approvalId' | 'requestedBy' | 'approvedBy'>): Record<string, unknown> {
  const notes: Record<string, unknown> = {};
  if (call.batchId) notes.batchId = call.batchId;
  if (call.approvalId) notes.approvalId = call.approvalId;
  if (call.requestedBy) notes.requestedBy = call.requestedBy;
  if (call.approvedBy) notes.approvedBy = call.approvedBy;
  return notes;
}

/** Drained per call at most; the background drainer takes what is left. */
const DRAIN_LIMIT = 1000;

/**
 * The operator's tools on a running workflow: pause, resume and terminate; retry or resolve an
 * incident. Each is one transaction on the locked instance, recorded in its history with the
 * principal and the reason. Inputs held meanwhile are applied afterwards, in arrival order.
 */
export class OperatorActions {
  constructor(
    private readonly db: DataSource,
    private readonly engine: WorkflowEngine,
  ) {}

  /** Nothing is dispatched and every input is kept until resume. */
  async pause(workflowId: string, call: OperatorCall): Promise<WorkflowView> {
    const { view } = await this.engine.withInstance(workflowId, call.actor, async (step) => {
      this.mustBeLive(step);
      if (step.row.status === 'paused') throw new DomainError('workflow_paused', `workflow ${publicId(workflowId)} is already paused`, { workflowId: publicId(workflowId) });
      await call.hook?.(step);
      step.row.status = 'paused';
      step.record({ kind: 'workflow.paused', outcome: 'ok', reason: call.reason, data: operatorNotes(call) });
    });
    return view;
  }

  /** Lets it run again; what arrived while it was paused is applied in order. */
  async resume(workflowId: string, call: OperatorCall): Promise<WorkflowView> {
    const { view } = await this.engine.withInstance(workflowId, call.actor, async (step) => {
      this.mustBeLive(step);
      if (step.row.status !== 'paused') throw new DomainError('workflow_not_paused', `workflow ${publicId(workflowId)} is not paused (status ${step.row.status})`, { workflowId: publicId(workflowId), status: step.row.status });
      await call.hook?.(step);
      // Running or waiting again: the step's end works out which from the open invocations.
      step.row.status = 'waiting';
      step.record({ kind: 'workflow.resumed', outcome: 'ok', reason: call.reason, data: { heldInputs: step.row.held_inputs, ...operatorNotes(call) } });
    });
    return (await this.drain(workflowId)) ?? view;
  }

  /** Ends it at once as `terminated`: activities, timers and tasks are stopped, no compensation runs. */
  async terminate(workflowId: string, call: OperatorCall): Promise<WorkflowView> {
    const { view } = await this.engine.withInstance(workflowId, call.actor, async (step) => {
      this.mustBeLive(step);
      await call.hook?.(step);
      step.record({ kind: 'workflow.terminate.requested', outcome: 'ok', reason: call.reason, data: operatorNotes(call) });
      step.forceEnd('terminated', { name: 'WorkflowTerminated', message: `terminated by ${call.actor.actor}: ${call.reason}` });
    });
    return view;
  }

  /**
   * Moves a live instance to another state of its own version, e.g. back to `quotingFx` after a
   * partner outage: what the states left were doing is stopped (activities, timers, children),
   * what the target state does on entry starts, its tasks open; recorded with the reason.
   */
  async move(workflowId: string, toState: string, call: OperatorCall): Promise<WorkflowView> {
    const { view } = await this.engine.withInstance(workflowId, call.actor, async (step) => {
      this.mustBeLive(step);
      mustMoveTo(step, toState);
      await call.hook?.(step);
      await step.move(toState, { reason: call.reason, data: { toState, ...operatorNotes(call) } });
    });
    return view;
  }

  /**
   * Moves a live instance to another version where it stands (see planMigration for what is
   * allowed), then, with a state mapping, to the mapped state of that version; recorded as
   * `workflow.migrated` with the mapping and the context patch.
   */
  async migrate(workflowId: string, request: MigrationRequest, call: OperatorCall): Promise<WorkflowView> {
    const { view } = await this.engine.withInstance(workflowId, call.actor, async (step) => {
      this.mustBeLive(step);
      const target = this.engine.registry.get(step.definition.type, request.toVersion);
      const plan = planMigration(step.definition, target, step.snapshot, await openWork(step.tx, step.row.id), request);
      if (plan.move && step.row.status === 'paused') {
        throw new DomainError('workflow_paused', `workflow ${publicId(workflowId)} is paused: resume it before a migration that moves it`, { workflowId: publicId(workflowId) });
      }
      await call.hook?.(step);
      const data = { fromVersion: plan.fromVersion, toVersion: plan.toVersion, stateMapping: request.stateMapping ?? null, contextPatch: request.contextPatch ?? null, carried: plan.carried, ...operatorNotes(call) };
      await step.switchVersion(target, request.contextPatch, { reason: call.reason, data });
      if (plan.move) await step.move(plan.move.toState, { reason: call.reason, data: { toState: plan.move.toState, migration: true } });
    });
    return view;
  }

  /** What `migrate` would do, or the 409 or 400 it would answer; nothing is changed. */
  async planMigration(workflowId: string, request: MigrationRequest): Promise<MigrationPlan & { workflowId: string }> {
    const [row] = await query<InstanceRow>(this.db, 'SELECT * FROM workflow_instance WHERE id = $1', [workflowId]);
    if (!row) throw new DomainError('workflow_not_found', `no workflow ${publicId(workflowId)}`, { workflowId: publicId(workflowId) });
    if (TERMINAL_STATUSES.has(row.status)) throw new DomainError('workflow_terminal', `workflow ${publicId(workflowId)} already ended ${row.status}`, { workflowId: publicId(workflowId), status: row.status });
    const from = this.engine.registry.get(row.type, row.definition_version);
    const to = this.engine.registry.get(row.type, request.toVersion);
    const plan = planMigration(from, to, restore(from.machine, row.snapshot), await openWork(this.db, row.id), request);
    return { workflowId: publicId(workflowId), ...plan };
  }

  async incident(tenant: string, incidentId: string): Promise<IncidentRow> {
    const [row] = await query<IncidentRow>(this.db, 'SELECT * FROM incident WHERE id = $1 AND tenant = $2', [incidentId, tenant]);
    if (!row) throw new DomainError('incident_not_found', `no incident ${incidentId}`, { incidentId });
    return row;
  }

  /**
   * Applies the kept input again (after a fix is deployed). An activity whose attempts ran out
   * runs again with a fresh budget instead. When the retry fails the same way the incident stays
   * open with the new error (answered 409 `incident_retry_failed`).
   */
  async retry(tenant: string, incidentId: string, call: OperatorCall): Promise<{ incident: IncidentView; workflow: WorkflowView }> {
    const found = await this.incident(tenant, incidentId);
    const input = found.input;
    try {
      await this.engine.withInstance(found.workflow_id, call.actor, async (step) => {
        const incident = await this.lockOpen(step, incidentId);
        await call.hook?.(step);
        await this.close(step, incident, 'retried', call);
        step.record({ kind: 'incident.retried', outcome: 'ok', reason: call.reason, data: { incidentId, kind: incident.kind, ...operatorNotes(call) } });
        if (incident.kind === 'activity_exhausted' && incident.input?.kind === 'activity') await this.rerunActivity(step, incident.input.job);
        else if (incident.input) await applyKept(step, incident.input, true);
      });
    } catch (err) {
      const kind = input ? incidentKindOf(err, input) : undefined;
      if (!kind) throw err;
      const error = incidentError(err);
      await this.engine.withInstance(found.workflow_id, call.actor, async (step) => {
        const still = await step.tx.one<IncidentRow>(`UPDATE incident SET error = $2, kind = $3, retries = retries + 1, updated_at = now() WHERE id = $1 AND status = 'open' RETURNING id`, [incidentId, error, kind]);
        if (still) step.record({ kind: 'incident.retry.failed', outcome: 'failed', reason: error.message, data: { incidentId, kind, error, ...operatorNotes(call) } });
      });
      throw new DomainError('incident_retry_failed', `the retry failed: ${error.message}`, { incidentId, error });
    }
    const workflow = await this.drain(found.workflow_id);
    return { incident: toIncidentView(await this.incident(tenant, incidentId)), workflow: workflow ?? (await this.view(found.workflow_id)) };
  }

  /** Discards the kept input and goes on with what was held behind it. */
  async resolve(tenant: string, incidentId: string, call: OperatorCall): Promise<{ incident: IncidentView; workflow: WorkflowView }> {
    const found = await this.incident(tenant, incidentId);
    await this.engine.withInstance(found.workflow_id, call.actor, async (step) => {
      const incident = await this.lockOpen(step, incidentId);
      await call.hook?.(step);
      await this.close(step, incident, 'resolved', call);
      if (incident.input) await this.discardKept(step, incident.input);
      step.record({ kind: 'incident.resolved', outcome: 'ok', reason: call.reason, data: { incidentId, kind: incident.kind, discarded: incident.input ? describeKept(incident.input) : null, ...operatorNotes(call) } });
    });
    const workflow = await this.drain(found.workflow_id);
    return { incident: toIncidentView(await this.incident(tenant, incidentId)), workflow: workflow ?? (await this.view(found.workflow_id)) };
  }

  /**
   * Applies the held inputs of one instance in arrival order, each in its own transaction, as
   * long as it is neither paused nor blocked by an incident. One that cannot apply opens an
   * incident and the rest wait behind it. Answers the instance as it was left.
   */
  async drain(workflowId: string): Promise<WorkflowView | undefined> {
    let last: WorkflowView | undefined;
    for (let i = 0; i < DRAIN_LIMIT; i++) {
      const [next] = await query<{ id: string; input: KeptInput; actor: Actor }>(this.db, 'SELECT id, input, actor FROM held_input WHERE workflow_id = $1 ORDER BY id LIMIT 1', [workflowId]);
      if (!next) return last;
      const r = await this.engine.applyOrOpenIncident(
        workflowId,
        next.input,
        next.actor,
        async (step) => {
          if (step.isTerminal || step.row.status === 'paused' || step.row.open_incidents > 0) return { stop: true };
          const gone = await step.tx.one('DELETE FROM held_input WHERE id = $1 RETURNING id', [next.id]);
          // Another drainer took it first.
          if (!gone) return { stop: false };
          step.row.held_inputs = Math.max(0, step.row.held_inputs - 1);
          await applyKept(step, next.input, true);
          return { stop: false };
        },
        { fromHeld: true, heldId: next.id },
      );
      last = r.view;
      if (r.stop || r.incident) return last;
    }
    return last;
  }

  /** Instances with held inputs and nothing holding them any more (a crash between a resume and its drain). */
  async drainBacklog(limit = 50): Promise<number> {
    const rows = await query<{ id: string }>(
      this.db,
      `SELECT id FROM workflow_instance WHERE held_inputs > 0 AND status <> 'paused' AND open_incidents = 0 LIMIT $1`,
      [limit],
    );
    for (const r of rows) await this.drain(r.id);
    return rows.length;
  }

  private async view(workflowId: string): Promise<WorkflowView> {
    const [row] = await query<InstanceRow>(this.db, 'SELECT * FROM workflow_instance WHERE id = $1', [workflowId]);
    return toView(row!);
  }

  private mustBeLive(step: Step): void {
    if (step.isTerminal) throw new DomainError('workflow_terminal', `workflow ${publicId(step.row.id)} already ended ${step.row.status}`, { workflowId: publicId(step.row.id), status: step.row.status });
  }

  private async lockOpen(step: Step, incidentId: string): Promise<IncidentRow> {
    const incident = await step.tx.one<IncidentRow>('SELECT * FROM incident WHERE id = $1 FOR UPDATE', [incidentId]);
    if (!incident || incident.status !== 'open') {
      throw new DomainError('incident_not_open', `incident ${incidentId} is ${incident?.resolution ?? 'resolved'}`, { incidentId, resolution: incident?.resolution ?? null });
    }
    return incident;
  }

  private async close(step: Step, incident: IncidentRow, resolution: 'retried' | 'resolved', call: OperatorCall): Promise<void> {
    await step.tx.rows(
      `UPDATE incident SET status = 'resolved', resolution = $2, resolved_at = now(), resolved_by = $3, resolve_reason = $4, retries = retries + $5, updated_at = now() WHERE id = $1`,
      [incident.id, resolution, call.actor.actor, call.reason, resolution === 'retried' ? 1 : 0],
    );
    step.row.open_incidents = Math.max(0, step.row.open_incidents - 1);
  }

  /**
   * A fresh attempt budget for an activity whose attempts ran out: the same invocation and
   * idempotency key, attempts counted on from where they stopped, a new job (the spent one may
   * still sit in BullMQ's failed set).
   */
  private async rerunActivity(step: Step, job: ActivityJob): Promise<void> {
    const policy = resolveRetryPolicy(step.definition.activities?.[job.src]?.retry);
    const row = await step.tx.one<{ attempts: number; attempt_limit: number }>(
      `UPDATE activity SET status = 'scheduled', attempt_limit = attempts + $2, last_error = last_error, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND status IN ('held', 'failed') RETURNING attempts, attempt_limit`,
      [job.invocationId, policy.maximumAttempts],
    );
    if (!row) return;
    const next: ActivityJob = { ...job, attemptsBefore: row.attempts, attemptLimit: row.attempt_limit, trace: undefined };
    step.pushOutbox(activityEntry(next, row.attempt_limit));
    step.record({ kind: 'activity.rescheduled', outcome: 'ok', idempotencyKey: job.idempotencyKey, data: { invocationId: job.invocationId, activityId: job.activityId, attemptsBefore: row.attempts, attemptLimit: row.attempt_limit } });
  }

  /** The row behind a discarded input leaves `held`: it will not be applied. */
  private async discardKept(step: Step, input: KeptInput): Promise<void> {
    if (input.kind === 'activity') {
      await step.tx.rows(`UPDATE activity SET status = $2, updated_at = now() WHERE id = $1 AND status = 'held'`, [input.job.invocationId, input.result.ok ? 'completed' : 'failed']);
    } else if (input.kind === 'child') {
      await step.tx.rows(`UPDATE activity SET status = $2, updated_at = now() WHERE id = $1 AND status = 'held'`, [input.invocationId, input.outcome.status === 'completed' ? 'completed' : 'failed']);
    } else if (input.kind === 'timer') {
      await step.tx.rows(`UPDATE timer SET status = 'fired' WHERE id = $1 AND status = 'held'`, [input.job.timerId]);
    }
  }
}

/** A move needs a running instance (a paused one holds its work: resume it first) and a state of its version that is not final. */
export function mustMoveTo(step: Pick<Step, 'row' | 'definition'>, toState: string): void {
  if (step.row.status === 'paused') {
    throw new DomainError('workflow_paused', `workflow ${publicId(step.row.id)} is paused: resume it before moving it (a move starts the target state's work at once)`, { workflowId: publicId(step.row.id) });
  }
  const targets = moveTargets(step.definition.machine).map((t) => t.path);
  if (!targets.includes(toState)) {
    throw new DomainError('validation_failed', 'the request does not match its schema', {
      errors: [{ field: 'toState', message: `${step.definition.type}@${step.definition.version} has no state ${toState} to move to (final states are not targets); its states: ${targets.join(', ')}` }],
    });
  }
}

/** What the instance has open, from the engine's own tables. */
async function openWork(db: DataSource | Tx, workflowId: string): Promise<OpenWork> {
  const run = <T>(sql: string) => ('rows' in db ? db.rows<T>(sql, [workflowId]) : query<T>(db, sql, [workflowId]));
  // One after another: inside a transaction they share its connection.
  const activities = await run<{ childId: string; src: string }>(`SELECT child_id AS "childId", src FROM activity WHERE workflow_id = $1 AND status = 'scheduled' ORDER BY child_id`);
  const timers = await run<{ sendId: string }>(`SELECT send_id AS "sendId" FROM timer WHERE workflow_id = $1 AND status IN ('scheduled', 'held') ORDER BY send_id`);
  const tasks = await run<{ title: string }>(`SELECT title FROM human_task WHERE workflow_id = $1 AND status = 'open' ORDER BY title`);
  return { activities, timers, tasks };
}
