import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, type DomainErrorCode } from '../engine/errors/domain.error';
import { isTransient } from '../engine/store/sql';

export const PROBLEM_BASE = 'https://statera.dev/problems/';

/** The one catalogue from error codes to HTTP: status and title per stable problem type. */
const CATALOGUE: Record<DomainErrorCode | 'payload_too_large' | 'database_unavailable' | 'malformed_json' | 'internal' | 'http_error', { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'The principal lacks the role this requires' },
  rate_limited: { status: 429, title: 'Too many requests' },
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
  incident_not_found: { status: 404, title: 'No such incident' },
  incident_not_open: { status: 409, title: 'The incident is already resolved' },
  incident_retry_failed: { status: 409, title: 'The retry failed again; the incident stays open' },
  workflow_paused: { status: 409, title: 'The workflow is paused' },
  workflow_not_paused: { status: 409, title: 'The workflow is not paused' },
  batch_not_found: { status: 404, title: 'No such batch operation' },
  approval_not_found: { status: 404, title: 'No such operator approval' },
  approval_not_pending: { status: 409, title: 'The approval is no longer pending' },
  approval_pending: { status: 409, title: 'The same action already waits for approval' },
  approval_expired: { status: 409, title: 'The approval expired' },
  self_approval: { status: 403, title: 'Dual control: the requester may not approve their own action' },
  definition_not_startable: { status: 409, title: 'The definition version takes no new starts' },
  schedule_exists: { status: 409, title: 'A schedule with this id exists already' },
  migration_refused: { status: 409, title: 'The migration cannot apply to the workflow where it stands' },
  definition_in_use: { status: 409, title: 'The definition version has live instances' },
  not_acceptable: { status: 406, title: 'The response cannot be given in the media type asked for' },
  live_streams_exhausted: { status: 503, title: 'This process serves as many live streams as it may' },
  payload_too_large: { status: 413, title: 'The body is larger than 1 MiB' },
  database_unavailable: { status: 503, title: 'The database is unavailable' },
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

/** What a client is told to wait when PostgreSQL is away: about a restart or a failover. */
const DATABASE_RETRY_AFTER_S = 5;

/** Fixed details for the statuses libraries (the body parser) answer with. */
const LIBRARY_DETAIL: Record<number, string> = {
  400: 'the request could not be read',
  408: 'the request body did not arrive in time',
  411: 'the request needs a Content-Length',
  415: 'the body must be JSON in UTF-8, with no content encoding or gzip/deflate/br',
};

/** Maps any error to RFC 9457 problem+json; never a stack trace. */
export function toProblem(err: unknown): Problem {
  if (err instanceof DomainError) {
    const { errors, ...rest } = err.details;
    return problemOf(err.code, err.message, { ...(errors ? { errors } : {}), ...rest });
  }
  // PostgreSQL unreachable, restarting or dropping connections: nothing was done that will not be redone on a retry.
  if (isTransient(err)) return problemOf('database_unavailable', 'PostgreSQL cannot serve this right now (unreachable, restarting or out of resources); retry after Retry-After seconds', { retryAfterSeconds: DATABASE_RETRY_AFTER_S });
  if (err instanceof HttpException) {
    const status = err.getStatus();
    // Nest's own message ("Cannot GET /path?query") echoes the URL, query included: never shown, never recorded.
    if (status === 404) return problemOf('not_found', 'no route matches this method and path');
    if (status === 413) return problemOf('payload_too_large');
    return problemOf('http_error', LIBRARY_DETAIL[status], {}, status);
  }
  const e = err as { type?: string; status?: number; statusCode?: number };
  if (e?.type === 'entity.too.large') return problemOf('payload_too_large');
  if (e?.type === 'entity.parse.failed') return problemOf('malformed_json', 'the body could not be parsed as JSON');
  // Any library's error may carry a status. Its message is never shown: body-parser's echo the
  // request's own headers (Content-Encoding, the charset), and a refusal is recorded with its detail.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return problemOf('http_error', LIBRARY_DETAIL[e.status], {}, e.status);
  return problemOf('internal', 'the server failed to handle the request; it has been logged');
}

/** The problem's stable code: the last segment of its `type`. */
export function codeOf(problem: Problem): string {
  return problem.type.slice(problem.type.lastIndexOf('/') + 1).replace(/-/g, '_');
}

export function sendProblem(res: Response, req: Request, problem: Problem): void {
  const requestId = res.getHeader('x-request-id');
  // A problem that says when to come back says it in the header HTTP clients read.
  if (typeof problem.retryAfterSeconds === 'number' && !res.getHeader('Retry-After')) res.setHeader('Retry-After', String(problem.retryAfterSeconds));
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({ ...problem, instance: req.originalUrl.split('?')[0], ...(requestId ? { requestId } : {}) });
}

/** Called with every refusal before it is answered (the refusal recorder); its errors are logged, never answered. */
export type RefusalHook = (req: Request, refusal: { status: number; code: string; reason: string }, err?: unknown) => Promise<void>;

/** Records a 4xx problem through the hook (its failure never changes the answer), then sends it. */
export async function answerRefusal(req: Request, res: Response, problem: Problem, onRefused?: RefusalHook, err?: unknown): Promise<void> {
  if (onRefused && problem.status >= 400 && problem.status < 500) {
    // Recorded before the answer, so whoever reads the history after the answer finds it.
    await onRefused(req, { status: problem.status, code: codeOf(problem), reason: problem.detail ?? problem.title }, err).catch(() => undefined);
  }
  sendProblem(res, req, problem);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
    private readonly onRefused?: RefusalHook,
  ) {}

  catch(err: unknown, host: ArgumentsHost): void {
    void this.answer(err, host);
  }

  private async answer(err: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const problem = toProblem(err);
    // PostgreSQL away is no bug to trace: the access line says 503; the stack says nothing more.
    if (problem.status >= 500 && problem.status !== 503) this.log('request failed', { error: (err as Error)?.stack ?? String(err) });
    if (problem.status === 401) {
      // RFC 6750 §3: no error code when no credentials were sent, invalid_token when they were refused.
      res.setHeader('WWW-Authenticate', req.header('authorization') !== undefined ? 'Bearer realm="statera", error="invalid_token"' : 'Bearer realm="statera"');
    }
    const onRefused: RefusalHook | undefined = this.onRefused
      ? (r, refusal, e) => this.onRefused!(r, refusal, e).catch((failure: unknown) => this.log('a refusal could not be recorded', { error: (failure as Error)?.stack ?? String(failure) }))
      : undefined;
    await answerRefusal(req, res, problem, onRefused, err);
  }
}
