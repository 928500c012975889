/** Stable codes for errors that cross a layer; `api/problem` maps each to HTTP once. */
export type DomainErrorCode =
  | 'validation_failed'
  | 'definition_not_found'
  | 'not_found'
  | 'workflow_not_found'
  | 'workflow_id_conflict'
  | 'event_not_accepted'
  | 'workflow_terminal'
  | 'cancellation_refused'
  | 'task_not_found'
  | 'task_not_open'
  | 'task_claimed'
  | 'task_forbidden'
  | 'four_eyes_violation'
  | 'task_required'
  | 'idempotency_key_in_flight'
  | 'idempotency_key_reused'
  | 'definition_invalid'
  | 'unauthenticated'
  | 'rate_limited'
  | 'forbidden'
  | 'incident_not_found'
  | 'incident_not_open'
  | 'incident_retry_failed'
  | 'workflow_paused'
  | 'workflow_not_paused'
  | 'batch_not_found'
  | 'approval_not_found'
  | 'approval_not_pending'
  | 'approval_pending'
  | 'approval_expired'
  | 'self_approval'
  | 'live_streams_exhausted'
  | 'not_acceptable'
  | 'definition_not_startable'
  | 'definition_in_use'
  | 'migration_refused'
  | 'schedule_exists';

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: { errors?: FieldError[]; [key: string]: unknown } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
