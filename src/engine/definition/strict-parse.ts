import { z } from 'zod';

export type StrictParseResult<T> = { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };

const NOTHING_DECLARED = z.object({});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses `value` with `schema` (no schema: an empty object) and refuses what the schema
 * does not declare. A `z.object` drops unknown keys at any depth, so a key of the value
 * that is missing from the parsed result is undeclared: each one is an issue at its path.
 * Records and loose objects keep their keys, and pass. A transform that reshapes an object
 * would read as undeclared keys; no definition's event or form schema has one.
 */
export function parseStrict<T extends z.ZodType>(schema: T | undefined, value: unknown): StrictParseResult<z.output<T>> {
  const parsed = (schema ?? NOTHING_DECLARED).safeParse(value);
  if (!parsed.success) return { success: false, error: { issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) } };
  const issues: { path: PropertyKey[]; message: string }[] = [];
  // Iterative, like the input guard: the value may be as deep as the HTTP layer allows.
  const stack: { given: unknown; kept: unknown; path: PropertyKey[] }[] = [{ given: value, kept: parsed.data, path: [] }];
  while (stack.length > 0) {
    const { given, kept, path } = stack.pop()!;
    if (Array.isArray(given) && Array.isArray(kept)) {
      for (let i = 0; i < Math.min(given.length, kept.length); i++) stack.push({ given: given[i], kept: kept[i], path: [...path, i] });
    } else if (isRecord(given) && isRecord(kept)) {
      for (const key of Object.keys(given)) {
        if (!Object.hasOwn(kept, key)) issues.push({ path: [...path, key], message: 'not declared by the schema' });
        else stack.push({ given: given[key], kept: kept[key], path: [...path, key] });
      }
    }
  }
  if (issues.length > 0) return { success: false, error: { issues } };
  return { success: true, data: parsed.data as z.output<T> };
}
