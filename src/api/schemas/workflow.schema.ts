import { WORKFLOW_OUTCOMES, WORKFLOW_STATUSES } from '../../engine/decider/snapshot';
import { int, json, list, nullable, object, oneOfValues, optional, page, ref, text, timestamp, uuid, type Schema } from './dsl';

const state: Schema = {
  description: 'the active state: a name, or an object of nested and parallel states (`{"review": "pending"}`)',
  oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
};

/** What src/engine/store/instance.ts `toView` shows of an instance. */
const workflowProperties = {
  id: text("the tenant's own id for it (a child's is `<parent>:<invokeId>:<n>`)"),
  tenant: text(),
  type: text(),
  definitionVersion: int(),
  businessKey: nullable(text()),
  status: oneOfValues(WORKFLOW_STATUSES),
  outcome: nullable(oneOfValues(WORKFLOW_OUTCOMES, 'the business outcome once ended; null while it runs')),
  state,
  context: json("the machine's context (null before the first snapshot)"),
  input: json('the input it was started with'),
  output: json('the final output once completed, else null'),
  error: json('`{name, message, details?}` when it failed, else null'),
  version: int('the snapshot version: one more per applied transaction'),
  parentId: nullable(text('the parent workflow of a child')),
  createdAt: timestamp(),
  updatedAt: timestamp(),
  endedAt: nullable(timestamp()),
  prunedAt: nullable(timestamp('when retention emptied its context, input and output; its history, hashes and head stay')),
};

export const Workflow = object(workflowProperties, 'A workflow instance');

export const OverdueState = object({ state: text(), enteredAt: timestamp(), maxDurationMs: int(), overdueByMs: int() });
export const RetryingActivity = object({ activityId: text(), activity: text(), attempts: int(), since: timestamp(), lastError: nullable(text()) });

export const WorkflowListItem = object(
  {
    ...workflowProperties,
    overdue: optional(list(ref('OverdueState'), 'with `overdue=true`: the states past their SLA')),
    retrying: optional(list(ref('RetryingActivity'), 'with `retrying=true`: the activities still retrying')),
  },
  'A listed workflow',
);
export const WorkflowList = page('WorkflowListItem', 'Workflows, newest first');

/** Operators, auditors and admins see whole incidents; other roles that there are some. */
export const WorkflowDetail = object(
  {
    ...workflowProperties,
    incidents: list({ anyOf: [ref('Incident'), ref('IncidentSummary')] }, 'its open incidents (whole for operators, auditors and admins)'),
    heldInputs: int('inputs held (paused, or behind an incident) and not yet applied'),
  },
  'A workflow with its open incidents',
);

export const Held = object({ reason: oneOfValues(['paused', 'incident', 'queued'], '`queued`: inputs held earlier are applied first'), incidentId: optional(uuid()) });

/** A signal's or a cancellation's answer: the workflow after it, or as it was when the input was held. */
export const AppliedWorkflow = object({ ...workflowProperties, held: optional(ref('Held')) }, 'The workflow after the input; `held` when it was kept instead (202)');

/** One recorded fact (src/persistence/workflow-queries.ts `HistoryEntry`). */
export const HistoryRecord = object(
  {
    seq: int('1, 2, 3… without gaps'),
    recordedAt: timestamp(),
    kind: text('`workflow.started`, `event.received`, `activity.completed`, …'),
    actor: text('`principal:<id>` or an engine component (`system:…`)'),
    origin: json('where from: `{requestId, clientAddress}` for a request'),
    event: json('the event applied, if any'),
    stateBefore: json('the state before'),
    stateAfter: json('the state after'),
    outcome: text('`ok`, `rejected`, …'),
    reason: nullable(text()),
    idempotencyKey: nullable(text()),
    data: json('what the kind records'),
    prevHash: text('the previous record\'s hash (64 zeros for the first)'),
    hash: text('SHA-256 of prevHash and the RFC 8785 canonical JSON of the record'),
  },
  'A recorded fact of one workflow, hash-chained',
);
export const HistoryPage = object({ items: list(ref('HistoryRecord')) }, 'Every recorded fact, in order');
