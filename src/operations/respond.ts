import type { Response } from 'express';
import type { OperatorOutcome } from './operator-service';

/**
 * An operator action's answer: 200 with the result when it was carried out, 202 with
 * `pendingApproval` (and its Location) when dual control keeps it for a second operator.
 */
export function respond(res: Response, outcome: OperatorOutcome): unknown {
  if (outcome.done) return outcome.result;
  res.status(202).location(`/v1/operator-approvals/${outcome.approval.id}`);
  return { pendingApproval: outcome.approval };
}
