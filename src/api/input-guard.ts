import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { FieldError } from '../engine/errors/domain.error';
import { answerRefusal, problemOf, type RefusalHook } from './problem';

/** Containers nested in one another, the outermost included: `{"a": [1]}` is 2 deep. */
export const MAX_JSON_DEPTH = 64;
/** Object members and array elements of the whole body, at every depth. */
export const MAX_JSON_NODES = 10_000;

// A UTF-16 surrogate without its partner: not text, and PostgreSQL's text and jsonb refuse it (as they refuse NUL).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textFault(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains U+0000 (NUL)';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate';
  return undefined;
}

interface Frame {
  value: unknown;
  key: string;
  parent: Frame | undefined;
  depth: number;
}

/** The dotted path of a frame, each segment made printable: the refusal must not echo what it refuses. */
function fieldOf(frame: Frame | undefined, root: string): string {
  const keys: string[] = [];
  for (let f = frame; f?.parent; f = f.parent) keys.push(f.key);
  const segments = keys.reverse().map((k) => {
    const clean = k.replaceAll('\u0000', '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
    return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
  });
  return [root, ...segments].filter(Boolean).join('.') || '(body)';
}

/**
 * The first fault of a parsed JSON value, found without recursion (an explicit stack), so a
 * hostile nesting cannot overflow the call stack here. Objects and arrays deeper than
 * MAX_JSON_DEPTH, more than MAX_JSON_NODES members and elements in all, and a string value
 * or an object key holding NUL or a lone surrogate are refused.
 */
export function jsonFault(value: unknown, root = ''): FieldError | undefined {
  const stack: Frame[] = [{ value, key: '', parent: undefined, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') {
      const fault = textFault(v);
      if (fault) return { field: fieldOf(frame, root), message: fault };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > MAX_JSON_DEPTH) return { field: fieldOf(frame, root), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    const isArray = Array.isArray(v);
    const keys = isArray ? null : Object.keys(v);
    nodes += isArray ? v.length : keys!.length;
    if (nodes > MAX_JSON_NODES) return { field: root || '(body)', message: `more than ${MAX_JSON_NODES} members and elements in all` };
    if (isArray) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: String(i), parent: frame, depth });
    } else {
      for (const key of keys!) {
        const child: Frame = { value: (v as Record<string, unknown>)[key], key, parent: frame, depth };
        const fault = textFault(key);
        if (fault) return { field: fieldOf(child, root), message: `key ${fault}` };
        stack.push(child);
      }
    }
  }
  return undefined;
}

/** The path's segments, percent-decoded: a malformed escape, NUL or a lone surrogate is refused. */
export function pathFault(path: string): FieldError | undefined {
  for (const raw of path.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { field: 'path', message: 'malformed percent-encoding' };
    }
    const fault = textFault(segment);
    if (fault) return { field: 'path', message: fault };
  }
  return undefined;
}

/**
 * Refuses, with a 400 problem, input that nothing after it may recurse over or store: runs
 * right after the JSON body parser, before zod, canonicalize and PostgreSQL see the values.
 * JSON.parse itself is safe: V8's parser is iterative, and a 1 MiB body of `[` (the body
 * limit) parses in about 0.1 s, or fails as malformed, without a stack overflow; it is
 * JSON.stringify, zod and canonicalize that recurse (a RangeError) on such a value.
 */
export function inputGuardMiddleware(onRefused?: RefusalHook): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const fault = pathFault(req.path) ?? jsonFault(req.query, 'query') ?? (req.body === undefined ? undefined : jsonFault(req.body));
    if (!fault) return next();
    const problem = problemOf('validation_failed', 'the request holds input the API does not accept', { errors: [fault] });
    void answerRefusal(req, res, problem, onRefused);
  };
}
