import type { ProblemDetails } from './problem-types';

export type PartnerErrorReason = 'http' | 'timeout' | 'network' | 'invalid-response';

export interface PartnerErrorInit {
  partner: string;
  operation: string;
  /** HTTP status, or undefined when no answer arrived (timeout, network). */
  status?: number;
  /** RFC 9457 problem `type`; client-side types for timeouts and network errors. */
  type: string;
  detail?: string;
  problem?: ProblemDetails;
  idempotencyKey?: string;
  cause?: unknown;
}

/**
 * Base of every error the SandboxClient throws. Retry policies should match on `name`
 * (stable strings, survive serialisation into workflow history) or on `retryable`.
 */
export abstract class PartnerError extends Error {
  abstract readonly retryable: boolean;
  readonly partner: string;
  readonly operation: string;
  readonly status: number | undefined;
  readonly type: string;
  readonly problem: ProblemDetails | undefined;
  readonly idempotencyKey: string | undefined;

  constructor(init: PartnerErrorInit) {
    const what = init.status === undefined ? init.type.split(':').pop() : `HTTP ${init.status}`;
    super(`${init.partner}.${init.operation} failed (${what})${init.detail ? `: ${init.detail}` : ''}`, { cause: init.cause });
    this.partner = init.partner;
    this.operation = init.operation;
    this.status = init.status;
    this.type = init.type;
    this.problem = init.problem;
    this.idempotencyKey = init.idempotencyKey;
  }
}

/**
 * Transient: 5xx, 408/425/429, timeouts, network errors. Retry with the *same*
 * Idempotency-Key — the partner may already have applied the effect.
 */
export class PartnerUnavailableError extends PartnerError {
  override readonly name = 'PartnerUnavailableError';
  readonly retryable = true;
  readonly reason: PartnerErrorReason;

  constructor(init: PartnerErrorInit & { reason: PartnerErrorReason }) {
    super(init);
    this.reason = init.reason;
  }
}

/** Permanent business refusal (insufficient funds, expired quote, invalid request): do not retry. */
export class PartnerRejectedError extends PartnerError {
  override readonly name = 'PartnerRejectedError';
  readonly retryable = false;
}

/** For retry policies that take a list of non-retryable error names. */
export const NON_RETRYABLE_PARTNER_ERRORS: readonly string[] = ['PartnerRejectedError'];

export function isRetryablePartnerError(err: unknown): err is PartnerUnavailableError {
  return err instanceof PartnerUnavailableError;
}

/** Statuses that describe the partner's condition rather than the request's merit. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}
