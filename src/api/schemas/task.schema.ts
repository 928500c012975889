import { bool, json, list, nullable, object, oneOfValues, page, text, timestamp, uuid } from './dsl';

/** src/tasks/task-queries.ts `TaskView`. */
export const Task = object(
  {
    id: uuid(),
    workflowId: text(),
    workflowType: text(),
    stateId: text('the state that opened it'),
    title: text(),
    candidateGroups: list(text()),
    decisions: list(text(), 'what `complete` takes as `decision`'),
    form: json("the decision's data as JSON Schema, or null"),
    summary: list(object({ label: text(), path: text(), value: json('the value when the task opened') }), 'the business facts to decide on'),
    fourEyes: bool(),
    status: oneOfValues(['open', 'completed', 'closed'], '`closed`: its state was left by another path (a timeout, a cancellation)'),
    claimedBy: nullable(text()),
    completedBy: nullable(text()),
    decision: nullable(text()),
    data: json('the decision\'s data once completed'),
    dueAt: nullable(timestamp()),
    overdue: bool(),
    escalated: bool(),
    createdAt: timestamp(),
    closedAt: nullable(timestamp()),
    closeReason: nullable(text()),
  },
  'A human task',
);
export const TaskList = page('Task', 'Tasks, newest first');
