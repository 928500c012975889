import type { EventObject } from 'xstate';
import { DEFAULT_CANCEL_EVENT } from '../definition/definition';
import { DomainError } from '../errors/domain.error';
import { taskOf } from '../definition/human-task';
import type { Step } from './step';
import { parseStrict } from '../definition/strict-parse';

/** A client's signal before it reaches the machine: reserved types, task-bound decisions, the payload's schema. */
export function checkSignalType(event: EventObject): void {
  if (event.type.startsWith('xstate.')) {
    throw new DomainError('validation_failed', 'event types starting with "xstate." are reserved', { errors: [{ field: 'type', message: 'reserved prefix' }] });
  }
}

/** Checks a signal against the locked instance: throws the refusal the API answers with. */
export async function checkSignal(step: Step, event: EventObject): Promise<void> {
  if (event.type === (step.definition.cancelEvent ?? DEFAULT_CANCEL_EVENT)) {
    throw new DomainError('validation_failed', `${event.type} is sent by the engine: use POST /v1/workflows/{id}/cancel`, {
      errors: [{ field: 'type', message: 'reserved for cancellation' }],
    });
  }
  // A person's decision goes through its task (claim, form, four-eyes), never around it.
  for (const node of step.snapshot._nodes) {
    const spec = taskOf(node);
    if (spec && Object.values(spec.decisions).includes(event.type)) {
      const [task] = await step.tx.rows<{ id: string }>(`SELECT id FROM human_task WHERE workflow_id = $1 AND state_id = $2 AND status = 'open'`, [step.row.id, node.id]);
      throw new DomainError('task_required', `${event.type} is decided by completing task ${task?.id ?? '(none open)'}: POST /v1/tasks/{id}/complete`, { taskId: task?.id ?? null });
    }
  }
  // Strict: a member the schema does not declare (an event without one declares none) is refused, never recorded.
  const { type: _type, ...payload } = event;
  const parsed = parseStrict(step.definition.events?.[event.type], payload);
  if (!parsed.success) {
    throw new DomainError('validation_failed', `payload of ${event.type} does not match its schema`, {
      errors: parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(payload)', message: i.message })),
    });
  }
}
