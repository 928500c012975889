import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, type DomainErrorCode } from '../engine/errors/domain.error';

export const PROBLEM_BASE = 'https://statera.dev/problems/';

/** The one catalogue from error codes to HTTP: status and title per stable problem type. */
const CATALOGUE: Record<DomainErrorCode | 'not_found' | 'payload_too_large' | 'malformed_json' | 'internal' | 'http_error', { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'The principal lacks the role this requires' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  definition_not_found: { status: 404, title: 'No such workflow definition' },
  workflow_not_found: { status: 404, title: 'No such workflow' },
  not_found: { status: 404, title: 'No such resource' },
  workflow_id_conflict: { status: 409, title: 'The workflow id is already used by a different request' },
  event_not_accepted: { status: 409, title: 'The event is not accepted in the current state' },
  workflow_terminal: { status: 409, title: 'The workflow has already ended' },
  task_not_found: { status: 404, title: 'No such task' },
  task_not_open: { status: 409, title: 'The task is no longer open' },
  task_claimed: { status: 409, title: 'The task is claimed by someone else' },
  task_forbidden: { status: 403, title: 'The task is not for this principal' },
  four_eyes_violation: { status: 403, title: 'The four-eyes rule refuses this principal' },
  task_required: { status: 409, title: 'This decision is made by completing the open task' },
  cancellation_refused: { status: 409, title: 'The workflow refused the cancellation in its current state' },
  idempotency_key_in_flight: { status: 409, title: 'A request with this Idempotency-Key is in flight' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used with a different body' },
  payload_too_large: { status: 413, title: 'The body is larger than 1 MiB' },
  definition_invalid: { status: 500, title: 'The workflow definition cannot run this' },
  internal: { status: 500, title: 'Internal error' },
  http_error: { status: 500, title: 'Request failed' },
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export function problemOf(code: keyof typeof CATALOGUE, detail?: string, extensions: Record<string, unknown> = {}, status?: number): Problem {
  const entry = CATALOGUE[code];
  // Extensions never override the members RFC 9457 defines.
  return { ...extensions, type: `${PROBLEM_BASE}${code.replace(/_/g, '-')}`, title: entry.title, status: status ?? entry.status, ...(detail ? { detail } : {}) };
}

/** Maps any error to RFC 9457 problem+json; never a stack trace. */
export function toProblem(err: unknown): Problem {
  if (err instanceof DomainError) {
    const { errors, ...rest } = err.details;
    return problemOf(err.code, err.message, { ...(errors ? { errors } : {}), ...rest });
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status === 404) return problemOf('not_found', err.message);
    if (status === 413) return problemOf('payload_too_large');
    return problemOf('http_error', err.message, {}, status);
  }
  const e = err as { type?: string; status?: number; statusCode?: number };
  if (e?.type === 'entity.too.large') return problemOf('payload_too_large');
  if (e?.type === 'entity.parse.failed') return problemOf('malformed_json', 'the body could not be parsed as JSON');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return problemOf('http_error', (err as Error).message, {}, e.status);
  return problemOf('internal', 'the server failed to handle the request; it has been logged');
}

export function sendProblem(res: Response, req: Request, problem: Problem): void {
  const requestId = res.getHeader('x-request-id');
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({ ...problem, instance: req.originalUrl, ...(requestId ? { requestId } : {}) });
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: (message: string, fields: Record<string, unknown>) => void) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const problem = toProblem(err);
    if (problem.status >= 500) this.log('request failed', { error: (err as Error)?.stack ?? String(err) });
    if (problem.status === 409 && (err as DomainError).code === 'idempotency_key_in_flight') {
      http.getResponse<Response>().setHeader('Retry-After', '1');
    }
    if (problem.status === 401) {
      // RFC 6750 §3: no error code when no credentials were sent, invalid_token when they were refused.
      const presented = http.getRequest<Request>().header('authorization') !== undefined;
      http.getResponse<Response>().setHeader('WWW-Authenticate', presented ? 'Bearer realm="statera", error="invalid_token"' : 'Bearer realm="statera"');
    }
    sendProblem(http.getResponse<Response>(), http.getRequest<Request>(), problem);
  }
}
