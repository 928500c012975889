import type { Problem } from '../client';

/** A command line the CLI cannot run: said with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show; the global usage when absent. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Something the user can fix that is not the command line (the server unreachable, a file missing): exit 1. */
export class CliError extends Error {}

/** The API refused or failed: its problem+json, printed as one line, exit 1. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
  ) {
    super(problemLine(status, problem));
  }
}

/** `409 The workflow has already ended: workflow T-1 already ended completed (reason: required; …)`. */
export function problemLine(status: number, problem: Partial<Problem> | undefined): string {
  const title = typeof problem?.title === 'string' ? problem.title : 'the request failed';
  const detail = typeof problem?.detail === 'string' && problem.detail !== title ? `: ${problem.detail}` : '';
  const fields = Array.isArray(problem?.errors) && problem.errors.length ? ` (${problem.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})` : '';
  return `${status} ${title}${detail}${fields}`.replace(/\s*\n\s*/g, ' ');
}
