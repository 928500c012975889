import { DomainError } from '../engine/errors/domain.error';

/** A page boundary: the (created_at, id) of the last item seen. */
export interface CursorPosition {
  /** An ISO timestamp in UTC with PostgreSQL's microseconds (`…T09:00:00.123456Z`), or milliseconds. */
  at: string;
  id: string;
}

export interface CursorCodec {
  /** `at`: the row's timestamp as CURSOR_AT_SQL writes it, microseconds kept. */
  encode(at: string, id: string): string;
  /** The position, or a 400 naming `cursor` for anything this codec did not produce. */
  decode(cursor: string): CursorPosition;
}

// A workflow id (instanceIdSchema) up to 1024 characters, behind a tenant prefix: room to spare.
const MAX_CURSOR_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// UTC with milliseconds (toISOString()) or microseconds (PostgreSQL's own precision), years 1..9999.
const ISO_UTC = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/;

/**
 * A row's timestamp as a cursor keeps it: ISO 8601 in UTC with all six fractional digits.
 * Through a JavaScript Date it would lose the microseconds, and a page boundary between rows
 * of the same millisecond would skip the ones after it.
 */
export function cursorAtSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
const utf8 = new TextDecoder('utf-8', { fatal: true });

function refused(): DomainError {
  return new DomainError('validation_failed', 'the cursor is not one this API returned', { errors: [{ field: 'cursor', message: 'not a cursor this API returned' }] });
}

function parse(cursor: string): unknown {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, 'base64url');
  // Buffer ignores stray bits: only the canonical spelling of these bytes is one we wrote.
  if (bytes.toString('base64url') !== cursor) return undefined;
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
}

function isTimestamp(at: unknown): at is string {
  if (typeof at !== 'string') return false;
  const match = ISO_UTC.exec(at);
  if (!match || Number(match[1]) < 1) return false;
  const millis = `${at.slice(0, 23)}Z`;
  const date = new Date(millis);
  // A real date: 2026-02-30 parses to March, and would not come back the same.
  return !Number.isNaN(date.getTime()) && date.toISOString() === millis;
}

/** An opaque cursor, base64url of `[at, id]`, whose id must match `idFormat`. */
export function cursorCodec(idFormat: RegExp): CursorCodec {
  return {
    encode: (at, id) => Buffer.from(JSON.stringify([at, id])).toString('base64url'),
    decode(cursor) {
      const value = parse(cursor);
      if (!Array.isArray(value) || value.length !== 2) throw refused();
      const [at, id] = value as unknown[];
      if (!isTimestamp(at) || typeof id !== 'string' || !idFormat.test(id)) throw refused();
      return { at, id };
    },
  };
}

/** A workflow's stored id: `instanceIdSchema`'s characters, with at most one `/` (a tenant prefix). */
export const workflowCursor = cursorCodec(/^(?=[A-Za-z0-9._:/-]{1,1200}$)[^/]+(?:\/[^/]+)?$/);

/** A human task's id: a UUID, as PostgreSQL's uuid type reads it. */
export const taskCursor = cursorCodec(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
