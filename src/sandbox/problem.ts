import type { Response } from 'express';
import type { z } from 'zod';
import { PROBLEMS, problemType, type FieldProblem, type ProblemDetails, type ProblemSlug } from '../partners/problem-types';

export type { ProblemDetails, FieldProblem, ProblemSlug };

/**
 * Thrown by partner handlers for business refusals. The pipeline turns it into a stored
 * response, so a replay of the same Idempotency-Key gets the very same refusal.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail ?? problem.title);
  }
}

export function makeProblem(
  slug: ProblemSlug,
  detail?: string,
  extensions: Record<string, unknown> = {},
): ProblemDetails {
  const { status, title } = PROBLEMS[slug];
  return { type: problemType(slug), title, status, ...(detail ? { detail } : {}), ...extensions };
}

export function problem(slug: ProblemSlug, detail?: string, extensions?: Record<string, unknown>): ProblemError {
  return new ProblemError(makeProblem(slug, detail, extensions));
}

export function notFound(kind: string, id: string): ProblemError {
  return problem('not-found', `${kind} '${id}' does not exist`, { resource: kind, id });
}

export function zodFieldProblems(error: z.ZodError, prefix?: string): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
    code: issue.code,
  }));
}

export function validationProblem(error: z.ZodError, detail = 'The request body failed validation'): ProblemDetails {
  return makeProblem('validation-error', detail, { errors: zodFieldProblems(error) });
}

export function sendJson(res: Response, status: number, body: unknown): void {
  // problem+json for every error so clients can rely on one content type for failures.
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  res.status(status).type(type).send(JSON.stringify(body));
}

export function sendProblem(res: Response, details: ProblemDetails): void {
  sendJson(res, details.status, details);
}
