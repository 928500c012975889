import { INCIDENT_KINDS } from '../../engine/loop/incidents';
import { BATCH_ACTIONS } from '../validation';
import { GATED_ACTIONS } from '../../operations/operator-service';
import { int, json, list, nullable, object, oneOfValues, openObject, page, ref, text, timestamp, uuid } from './dsl';

const incidentKind = oneOfValues(INCIDENT_KINDS);
const incidentStatus = oneOfValues(['open', 'resolved']);

/** src/engine/loop/incidents.ts `toIncidentView`. */
export const Incident = object(
  {
    id: uuid(),
    workflowId: text(),
    tenant: text(),
    type: text(),
    definitionVersion: int(),
    kind: incidentKind,
    status: incidentStatus,
    error: json('`{name, message, code?, details?}`: never a stack'),
    input: nullable(openObject('the input kept for a retry: `{kind, …}`')),
    state: json('the state it happened in'),
    retries: int(),
    createdAt: timestamp(),
    updatedAt: timestamp(),
    resolvedAt: nullable(timestamp()),
    resolvedBy: nullable(text()),
    resolution: nullable(text('`retried` or `resolved`')),
    resolveReason: nullable(text()),
  },
  'An input the engine could not apply, kept with the workflow',
);
export const IncidentSummary = object({ id: uuid(), kind: incidentKind, status: incidentStatus, createdAt: timestamp() }, "What a reviewer sees of a workflow's incident");
export const IncidentList = page('Incident', 'Incidents, newest first');
export const IncidentActionResult = object({ incident: ref('Incident'), workflow: ref('Workflow') }, 'The incident after a retry or resolve, and its workflow');

/** src/operations/operator-service.ts `ApprovalView`. */
export const OperatorApproval = object(
  {
    id: uuid(),
    tenant: text(),
    action: oneOfValues(GATED_ACTIONS),
    target: openObject('`{workflowId}`, `{workflowId, toState}` (a move), `{incidentId}` or `{batch, batchId, total}`'),
    reason: text(),
    requestedBy: text(),
    requestedAt: timestamp(),
    expiresAt: timestamp(),
    status: oneOfValues(['pending', 'approved', 'rejected', 'expired']),
    decidedBy: nullable(text()),
    decidedAt: nullable(timestamp()),
    decisionReason: nullable(text()),
    result: json('after an approval: `{ok: true}` or `{error: {code, message}}`; else null'),
  },
  'An operator action kept for a second operator (dual control)',
);
export const OperatorApprovalList = page('OperatorApproval', 'Operator approvals, newest first');
export const PendingApproval = object({ pendingApproval: ref('OperatorApproval') }, 'Dual control kept the action for a second operator (202)');
export const ApprovalDecision = object({ approval: ref('OperatorApproval'), result: json("the approved action's own answer") }, 'An approval, carried out');

const progress = object({ done: int(), skipped: int(), failed: int(), remaining: int() });

/** src/operations/batches.ts `BatchView`. */
const batchProperties = {
  id: uuid(),
  tenant: text(),
  action: oneOfValues(BATCH_ACTIONS),
  filter: openObject("the workflow list's filters it selected by"),
  reason: text(),
  migration: nullable(openObject('`migrate`: `{toVersion, stateMapping?, contextPatch?}`; null for the other actions')),
  requestedBy: text(),
  approvalId: nullable(uuid()),
  approvedBy: nullable(text()),
  status: oneOfValues(['pending_approval', 'running', 'completed', 'cancelled']),
  total: int('the workflows it selected'),
  progress,
  createdAt: timestamp(),
  finishedAt: nullable(timestamp()),
};
export const BatchOperation = object(batchProperties, 'An operator action over the workflows a filter matched');
export const BatchOperationList = page('BatchOperation', 'Batch operations, newest first');
export const BatchItem = object({
  seq: int(),
  workflowId: text(),
  outcome: oneOfValues(['pending', 'done', 'skipped', 'failed']),
  detail: nullable(text('`<code>: <message>` when skipped or failed')),
  doneAt: nullable(timestamp()),
});
export const BatchOperationDetail = object(
  { ...batchProperties, items: list(ref('BatchItem')), nextItemsCursor: nullable(int('pass as `cursor` for the next page of items')) },
  'A batch with a page of its items',
);
export const BatchDryRun = object(
  { dryRun: oneOfValues([true]), action: oneOfValues(BATCH_ACTIONS), matching: int('how many workflows the filter matches now'), sample: list(text(), 'up to 20 of their ids') },
  'What the batch would select',
);

/** src/engine/loop/migration.ts `MigrationPlan`, answered by a migration's dry run. */
export const MigrationDryRun = object(
  {
    dryRun: oneOfValues([true]),
    plan: object({
      workflowId: text(),
      fromVersion: int(),
      toVersion: int(),
      state: object({ from: json('the state value now'), to: json('the state value after the migration (and the move, with a mapping)') }),
      carried: object({ activities: list(text()), timers: list(text()), tasks: list(text()) }, 'open work carried over as it is'),
      move: nullable(object({ toState: text(), actions: list(text(), 'what the move inside the target version does') })),
      contextPatch: nullable(openObject('merged into the context')),
    }),
  },
  'What a migration would do; nothing was changed',
);
