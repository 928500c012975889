import { randomUUID } from 'node:crypto';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { z } from 'zod';
import type { WorkflowDefinition } from '../definition/definition';
import type { NewRecord } from '../store/history';
import { taskFacts, taskOf, taskTimerEvent, type HumanTaskSpec } from '../definition/human-task';
import type { InstanceRow } from '../store/instance';
import { jobIds, removeEntry, type OutboxEntry } from '../store/jobs';
import type { Tx } from '../store/sql';

/** What the task rows need of the step that holds the instance's lock. */
export interface TaskHost {
  readonly tx: Tx;
  readonly row: InstanceRow;
  readonly definition: WorkflowDefinition;
  record(entry: NewRecord): void;
  pushOutbox(entry: OutboxEntry): void;
  scheduleTimer(sendId: string, event: { type: string }, delayMs: number): Promise<void>;
}

/**
 * Opens the tasks of states just entered and closes those of states just left, by any
 * path: a completion, a timeout, a cancellation.
 */
export async function syncTasks(host: TaskHost, before: AnyMachineSnapshot | null, after: AnyMachineSnapshot): Promise<void> {
  const left = new Set<unknown>(after._nodes);
  const had = new Set<unknown>(before?._nodes ?? []);
  for (const node of before?._nodes ?? []) if (!left.has(node) && taskOf(node)) await closeTasks(host, node.id, 'the state was left');
  for (const node of after._nodes) {
    const spec = taskOf(node);
    if (spec && !had.has(node)) await openTask(host, node.id, spec, after.context);
  }
}

async function openTask(host: TaskHost, stateId: string, spec: HumanTaskSpec, context: unknown): Promise<void> {
  const taskId = randomUUID();
  const dueAt = spec.dueInMs === undefined ? null : new Date(Date.now() + spec.dueInMs);
  const form = spec.form ? JSON.stringify(z.toJSONSchema(spec.form, { unrepresentable: 'any', io: 'input' })) : null;
  await host.tx.rows(
    `INSERT INTO human_task (id, tenant, workflow_id, workflow_type, state_id, title, candidate_groups, decisions, form, four_eyes, status, due_at, summary)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12)`,
    [taskId, host.row.tenant, host.row.id, host.definition.type, stateId, spec.title, spec.candidateGroups, Object.keys(spec.decisions), form, !!spec.fourEyes, dueAt, JSON.stringify(taskFacts(spec, context))],
  );
  host.record({ kind: 'task.created', outcome: 'ok', data: { taskId, stateId, title: spec.title, candidateGroups: spec.candidateGroups, dueAt: dueAt?.toISOString() ?? null } });
  if (spec.dueInMs !== undefined) await host.scheduleTimer(`task:${taskId}:due`, taskTimerEvent('due', taskId), spec.dueInMs);
  if (spec.reminderInMs !== undefined) await host.scheduleTimer(`task:${taskId}:remind`, taskTimerEvent('remind', taskId), spec.reminderInMs);
  if (spec.escalation) await host.scheduleTimer(`task:${taskId}:escalate`, taskTimerEvent('escalate', taskId), spec.escalation.afterMs);
}

/** Closes the open tasks of one state (or of every state, when the workflow ends) and cancels their timers. */
export async function closeTasks(host: TaskHost, stateId: string | null, reason: string): Promise<void> {
  const closed = await host.tx.rows<{ id: string }>(
    `UPDATE human_task SET status = 'closed', closed_at = now(), close_reason = $3
      WHERE workflow_id = $1 AND ($2::text IS NULL OR state_id = $2) AND status = 'open' RETURNING id`,
    [host.row.id, stateId, reason],
  );
  for (const t of closed) {
    const timers = await host.tx.rows<{ id: string }>(
      `UPDATE timer SET status = 'cancelled' WHERE workflow_id = $1 AND send_id LIKE $2 AND status = 'scheduled' RETURNING id`,
      [host.row.id, `task:${t.id}:%`],
    );
    for (const timer of timers) host.pushOutbox(removeEntry(host.row.id, 'timers', jobIds.timer(timer.id)));
    host.record({ kind: 'task.closed', outcome: 'ok', reason, data: { taskId: t.id } });
  }
}

/** A task's own timer: overdue marks it, escalation adds the spec's group to the candidates. */
export async function taskTimerFired(host: TaskHost, event: EventObject & { taskId: string }): Promise<void> {
  const task = await host.tx.one<{ state_id: string }>(`SELECT state_id FROM human_task WHERE id = $1 AND status = 'open' FOR UPDATE`, [event.taskId]);
  if (!task) return;
  if (event.type.endsWith('.due')) {
    await host.tx.rows(`UPDATE human_task SET overdue = true WHERE id = $1`, [event.taskId]);
    host.record({ kind: 'task.overdue', outcome: 'ok', data: { taskId: event.taskId } });
    return;
  }
  if (event.type.endsWith('.remind')) {
    host.record({ kind: 'task.reminded', outcome: 'ok', data: { taskId: event.taskId } });
    return;
  }
  const group = taskOf(host.definition.machine.getStateNodeById(task.state_id))?.escalation?.group;
  if (!group) return;
  await host.tx.rows(
    `UPDATE human_task SET escalated = true, candidate_groups = CASE WHEN $2 = ANY(candidate_groups) THEN candidate_groups ELSE array_append(candidate_groups, $2) END WHERE id = $1`,
    [event.taskId, group],
  );
  host.record({ kind: 'task.escalated', outcome: 'ok', data: { taskId: event.taskId, group } });
}
