/**
 * The slice of JSON Schema the API's forms use (zod's toJSONSchema of event payloads and task
 * forms): objects of strings, numbers, integers, booleans and enums, possibly nested. Anything
 * else is edited as JSON.
 */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
}

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'object' | 'json';

/** Raw input per dotted path, as typed: converted only on submit, so a half-typed number is not lost. */
export type FormValues = Record<string, string | boolean>;

function typeOf(schema: JsonSchema): string | undefined {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  return t;
}

/** Enum values, from `enum` or a union of `const`s. */
export function enumValues(schema: JsonSchema): unknown[] | undefined {
  if (schema.enum) return schema.enum;
  const options = schema.anyOf ?? schema.oneOf;
  if (options?.length && options.every((o) => 'const' in o)) return options.map((o) => o.const);
  return undefined;
}

export function kindOf(schema: JsonSchema): FieldKind {
  if (enumValues(schema)) return 'enum';
  const t = typeOf(schema);
  if (t === 'object' && schema.properties) return 'object';
  if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean') return t;
  return 'json';
}

/** Initial raw values: defaults where the schema gives them. */
export function initialValues(schema: JsonSchema, prefix = ''): FormValues {
  const out: FormValues = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const kind = kindOf(prop);
    if (kind === 'object') Object.assign(out, initialValues(prop, path));
    else if (kind === 'boolean') out[path] = prop.default === true;
    else if (prop.default !== undefined) out[path] = kind === 'json' ? JSON.stringify(prop.default) : String(prop.default);
  }
  return out;
}

export class FormInputError extends Error {
  constructor(readonly errors: { field: string; message: string }[]) {
    super('the form has errors');
  }
}

/**
 * The payload to send: empty optional fields left out, numbers and JSON parsed. Only what the
 * browser cannot send at all is refused here; every rule of the schema is the API's to judge.
 */
export function toPayload(schema: JsonSchema, values: FormValues, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const errors: { field: string; message: string }[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const kind = kindOf(prop);
    if (kind === 'object') {
      try {
        const nested = toPayload(prop, values, path);
        if (Object.keys(nested).length) out[name] = nested;
      } catch (err) {
        if (err instanceof FormInputError) errors.push(...err.errors);
        else throw err;
      }
      continue;
    }
    const raw = values[path];
    if (kind === 'boolean') {
      if (raw !== undefined) out[name] = raw === true;
      continue;
    }
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    if (kind === 'number' || kind === 'integer') {
      const n = Number(raw);
      if (Number.isNaN(n)) errors.push({ field: path, message: 'not a number' });
      else out[name] = n;
    } else if (kind === 'enum') {
      out[name] = enumValues(prop)?.find((v) => String(v) === raw) ?? raw;
    } else if (kind === 'json') {
      try {
        out[name] = JSON.parse(raw);
      } catch {
        errors.push({ field: path, message: 'not valid JSON' });
      }
    } else {
      out[name] = raw;
    }
  }
  if (errors.length) throw new FormInputError(errors);
  return out;
}
