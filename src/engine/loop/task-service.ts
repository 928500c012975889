import type { DataSource } from 'typeorm';
import { DomainError } from '../errors/domain.error';
import type { Actor } from '../store/history';
import { taskOf, type HumanTaskSpec } from '../definition/human-task';
import { markRecorded } from '../errors/recorded';
import { incidentKindOf, type KeptInput } from './incidents';
import { query } from '../store/sql';
import type { Step } from './step';
import { parseStrict } from '../definition/strict-parse';
import type { WorkflowEngine } from './workflow-engine';

/** Who works on a task: the engine needs the id, the groups, and whether they may do anything. */
export interface TaskWorker {
  id: string;
  groups: string[];
  isAdmin: boolean;
  /** Only this tenant's tasks exist for the worker. */
  tenant: string;
}

interface TaskRow {
  id: string;
  workflow_id: string;
  state_id: string;
  status: string;
  candidate_groups: string[];
  claimed_by: string | null;
  close_reason: string | null;
}

/**
 * Claim, complete and reassign human tasks. Each runs in the task's workflow transaction:
 * completing records the decision and delivers its event in the same commit, so a decision
 * is applied once even when a hundred arrive together.
 */
export class TaskService {
  constructor(
    private readonly db: DataSource,
    private readonly engine: WorkflowEngine,
  ) {}

  /**
   * Completes a task. While its workflow is paused or has an open incident the decision is
   * recorded and its event held; a decision the machine cannot take opens an incident that
   * keeps it (the task stays decided).
   */
  async complete(taskId: string, decision: string, data: unknown, who: TaskWorker, actor: Actor): Promise<void> {
    let kept: { workflowId: string; input: KeptInput } | undefined;
    try {
      await this.completeOnce(taskId, decision, data, who, actor, (k) => (kept = k));
    } catch (err) {
      const kind = kept ? incidentKindOf(err, kept.input) : undefined;
      if (!kept || !kind) throw err;
      await this.engine.openIncidentFor(kept.workflowId, kind, err, kept.input);
    }
  }

  private async completeOnce(taskId: string, decision: string, data: unknown, who: TaskWorker, actor: Actor, keep: (k: { workflowId: string; input: KeptInput }) => void): Promise<void> {
    const { refusal } = await this.onTask(taskId, who.tenant, actor, async (step, task, spec) => {
      this.mayWork(task, who);
      const eventType = spec.decisions[decision];
      if (!eventType) {
        throw new DomainError('validation_failed', `decision must be one of ${Object.keys(spec.decisions).join(', ')}`, {
          errors: [{ field: 'decision', message: `one of ${Object.keys(spec.decisions).join(', ')}` }],
        });
      }
      // Strict: a field the form does not declare (a task without a form declares none) is refused.
      const parsed = parseStrict(spec.form, data ?? {});
      if (!parsed.success) {
        throw new DomainError('validation_failed', 'the decision data does not match the task form', {
          errors: parsed.error.issues.map((i) => ({ field: ['data', ...i.path.map(String)].join('.'), message: i.message })),
        });
      }
      const refusal = await this.fourEyesRefusal(step, task, spec, actor, who);
      if (refusal) {
        step.record({ kind: 'task.refused', outcome: 'rejected', reason: refusal, data: { taskId, decision, by: who.id } });
        return { refusal };
      }
      await step.tx.rows(`UPDATE human_task SET status = 'completed', completed_by = $2, decision = $3, data = $4, closed_at = now() WHERE id = $1`, [
        taskId,
        who.id,
        decision,
        JSON.stringify(parsed.data),
      ]);
      step.record({ kind: 'task.completed', outcome: 'ok', data: { taskId, decision, by: who.id } });
      const event = { ...(parsed.data as object), type: eventType, [spec.principalField ?? 'decidedBy']: who.id };
      if (step.isHeld) {
        await step.hold({ kind: 'task', taskId, event });
        return { refusal: undefined };
      }
      keep({ workflowId: step.row.id, input: { kind: 'task', taskId, event, completion: { by: who.id, decision, data: parsed.data } } });
      if (!(await step.apply(event, 'event.received', { data: { taskId } }))) {
        throw new DomainError('event_not_accepted', `the workflow does not accept ${eventType} now`, { taskId });
      }
      return { refusal: undefined };
    });
    if (refusal) throw markRecorded(new DomainError('four_eyes_violation', refusal, { taskId }));
  }

  async claim(taskId: string, who: TaskWorker, actor: Actor): Promise<void> {
    await this.onTask(taskId, who.tenant, actor, async (step, task) => {
      this.mayWork(task, who);
      if (task.claimed_by === who.id) return {};
      await step.tx.rows(`UPDATE human_task SET claimed_by = $2 WHERE id = $1`, [taskId, who.id]);
      step.record({ kind: 'task.claimed', outcome: 'ok', data: { taskId, by: who.id } });
      return {};
    });
  }

  async unclaim(taskId: string, who: TaskWorker, actor: Actor): Promise<void> {
    await this.onTask(taskId, who.tenant, actor, async (step, task) => {
      if (task.claimed_by !== who.id && !who.isAdmin) throw new DomainError('task_claimed', `the task is claimed by ${task.claimed_by ?? 'nobody'}`, { taskId });
      await step.tx.rows(`UPDATE human_task SET claimed_by = NULL WHERE id = $1`, [taskId]);
      step.record({ kind: 'task.unclaimed', outcome: 'ok', data: { taskId, by: who.id } });
      return {};
    });
  }

  /** An admin hands the task to someone (or to nobody). */
  async reassign(taskId: string, tenant: string, assignee: string | null, actor: Actor): Promise<void> {
    await this.onTask(taskId, tenant, actor, async (step) => {
      await step.tx.rows(`UPDATE human_task SET claimed_by = $2 WHERE id = $1`, [taskId, assignee]);
      step.record({ kind: 'task.reassigned', outcome: 'ok', data: { taskId, assignee } });
      return {};
    });
  }

  private async onTask<R extends object>(taskId: string, tenant: string, actor: Actor, fn: (step: Step, task: TaskRow, spec: HumanTaskSpec) => Promise<R>): Promise<R> {
    // Another tenant's task is as absent as a missing one.
    const [found] = await query<{ workflow_id: string }>(this.db, 'SELECT workflow_id FROM human_task WHERE id = $1 AND tenant = $2', [taskId, tenant]);
    if (!found) throw new DomainError('task_not_found', `no task ${taskId}`, { taskId });
    return this.engine.withInstance(found.workflow_id, actor, async (step) => {
      const task = await step.tx.one<TaskRow>('SELECT * FROM human_task WHERE id = $1 FOR UPDATE', [taskId]);
      if (!task || task.status !== 'open') {
        throw new DomainError('task_not_open', task?.status === 'completed' ? 'the task is already completed' : `the task is closed: ${task?.close_reason ?? 'gone'}`, {
          taskId,
          taskStatus: task?.status,
        });
      }
      const spec = taskOf(step.definition.machine.getStateNodeById(task.state_id));
      if (!spec) throw new DomainError('task_not_open', 'the task belongs to a state that no longer declares one', { taskId });
      return fn(step, task, spec);
    });
  }

  private mayWork(task: TaskRow, who: TaskWorker): void {
    if (!who.isAdmin && !task.candidate_groups.some((g) => who.groups.includes(g))) {
      throw new DomainError('task_forbidden', `the task is for ${task.candidate_groups.join(', ')}`, { taskId: task.id, candidateGroups: task.candidate_groups });
    }
    if (task.claimed_by && task.claimed_by !== who.id && !who.isAdmin) {
      throw new DomainError('task_claimed', `the task is claimed by ${task.claimed_by}`, { taskId: task.id });
    }
  }

  /**
   * The four-eyes rule over the whole workflow tree: the root's initiator and everyone who
   * already decided a task anywhere in the tree are refused, as the task declares.
   */
  private async fourEyesRefusal(step: Step, task: TaskRow, spec: HumanTaskSpec, actor: Actor, who: TaskWorker): Promise<string | undefined> {
    if (!spec.fourEyes) return undefined;
    const { excludeInitiator = true, distinctFromEarlierDecisions = true } = spec.fourEyes;
    if (!excludeInitiator && !distinctFromEarlierDecisions) return undefined;
    const tree = await step.tx.one<{ initiator: string | null; root_id: string; deciders: string[] }>(
      `WITH RECURSIVE up AS (
         SELECT id, parent_id FROM workflow_instance WHERE id = $1
         UNION ALL SELECT w.id, w.parent_id FROM workflow_instance w JOIN up ON w.id = up.parent_id
       ), root AS (SELECT id FROM up WHERE parent_id IS NULL LIMIT 1),
       tree AS (
         SELECT id FROM root
         UNION ALL SELECT w.id FROM workflow_instance w JOIN tree ON w.parent_id = tree.id
       )
       SELECT (SELECT id FROM root) AS root_id,
              (SELECT h.actor FROM workflow_history h WHERE h.workflow_id = (SELECT id FROM root) AND h.seq = 1) AS initiator,
              (SELECT coalesce(array_agg(DISTINCT t.completed_by), '{}') FROM human_task t
                WHERE t.workflow_id IN (SELECT id FROM tree) AND t.status = 'completed' AND t.completed_by IS NOT NULL) AS deciders`,
      [task.workflow_id],
    );
    const nested = tree?.root_id !== task.workflow_id;
    if (excludeInitiator && tree?.initiator === actor.actor) {
      return nested
        ? 'four eyes: a principal may not decide a task in a workflow tree they started'
        : 'four eyes: a principal may not decide a workflow they started';
    }
    if (distinctFromEarlierDecisions && tree?.deciders.includes(who.id)) {
      return 'four eyes: this principal already decided a task in this workflow tree; the decision must come from someone else';
    }
    return undefined;
  }
}
