import type { EventObject } from 'xstate';
import { taskOf } from '../../src/engine/definition/human-task';
import { query } from '../../src/engine/store/sql';
import { TaskService } from '../../src/engine/loop/task-service';
import type { Harness } from './harness';

let reviewers = 0;

/**
 * Delivers `event` as a person would: when an open task of the workflow decides that event
 * type, its completion by a reviewer of the task's groups (a new one each call, so four-eyes
 * rules hold); otherwise a signal. The deciding principal is the event's `principalField`.
 */
export async function signalOrDecide(h: Harness, workflowId: string, event: EventObject, actor = { actor: 'test:user' }): Promise<void> {
  const [instance] = await query<{ type: string; definition_version: number }>(h.db.dataSource, 'SELECT type, definition_version FROM workflow_instance WHERE id = $1', [workflowId]);
  const definition = instance ? h.runtime.registry.get(instance.type, instance.definition_version) : undefined;
  const open = await query<{ id: string; state_id: string; candidate_groups: string[] }>(
    h.db.dataSource,
    `SELECT id, state_id, candidate_groups FROM human_task WHERE workflow_id = $1 AND status = 'open'`,
    [workflowId],
  );
  for (const task of open) {
    const spec = definition && taskOf(definition.machine.getStateNodeById(task.state_id));
    const decision = Object.entries(spec?.decisions ?? {}).find(([, type]) => type === event.type)?.[0];
    if (!spec || !decision) continue;
    const field = spec.principalField ?? 'decidedBy';
    const { type: _type, [field]: named, ...data } = event as EventObject & Record<string, unknown>;
    const reviewer = typeof named === 'string' && named ? named : `reviewer-${++reviewers}`;
    await new TaskService(h.db.dataSource, h.runtime.engine).complete(task.id, decision, data, { id: reviewer, groups: task.candidate_groups, isAdmin: false, tenant: 'default' }, { actor: `principal:${reviewer}` });
    return;
  }
  await h.runtime.engine.signal(workflowId, event, actor);
}
