import { readFileSync } from 'node:fs';
import { ApiError, CliError, UsageError } from './errors';
import type { Problem } from '../client';
import type { Values } from './command';

/** What an openapi-fetch call answers: the 2xx body, or the problem of a 4xx/5xx. */
interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/**
 * The body of a successful answer and its status; an ApiError with the problem+json
 * otherwise. A server that cannot be reached is a CliError saying so.
 */
export async function call<D>(request: Promise<Answer<D>>, url: string): Promise<{ data: D; status: number }> {
  let answer: Answer<D>;
  try {
    answer = await request;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach the API at ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (!answer.response.ok) {
    const problem = answer.error && typeof answer.error === 'object' ? (answer.error as Partial<Problem>) : undefined;
    throw new ApiError(answer.response.status, problem);
  }
  return { data: answer.data as D, status: answer.response.status };
}

/** A JSON argument: the text itself, `@file`, or `@-` for standard input. */
export function jsonArgument(option: string, value: string, command: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new UsageError(`--${option} ${value}: cannot read ${file === '-' ? 'standard input' : file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, command);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${option} is not JSON: ${(err as Error).message}`, command);
  }
}

/** A JSON argument that must be an object (an event's payload, a decision's data). */
export function jsonObjectArgument(option: string, value: string, command: string): Record<string, unknown> {
  const parsed = jsonArgument(option, value, command);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--${option} must be a JSON object`, command);
  return parsed as Record<string, unknown>;
}

/** A positive integer option. */
export function positiveInt(option: string, value: Values[string], command: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1) throw new UsageError(`--${option} must be a positive integer`, command);
  return n;
}

/** A string option restricted to a few values. */
export function choice<T extends string>(option: string, value: Values[string], allowed: readonly T[], command: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option} must be one of ${allowed.join(', ')}`, command);
  return value as T;
}
