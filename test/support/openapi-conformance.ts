import Ajv, { type ValidateFunction } from 'ajv';

type Json = Record<string, any>;

const REF = '#/components/schemas/';

/**
 * Checks real answers against the OpenAPI document the app serves: the schema documented for
 * the route, the status and the media type. The component schemas are closed for the check
 * (an object documented with `properties` may hold no others), so a field the server returns
 * but the document does not name fails as surely as a missing one.
 */
export class OpenApiConformance {
  private readonly ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Json) {
    this.ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    this.ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  }

  /** The documented schema of `method path` for this status and media type, or undefined. */
  schemaOf(method: string, path: string, status: number, mediaType: string): Json | undefined {
    const response = this.doc.paths[path]?.[method.toLowerCase()]?.responses?.[String(status)];
    return response?.content?.[mediaType]?.schema;
  }

  /** Throws, naming each mismatch, unless the answer is what the document says for it. */
  check(method: string, path: string, res: { status: number; headers: Headers; body: unknown }): void {
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    const schema = this.schemaOf(method, path, res.status, mediaType);
    if (!schema) throw new Error(`${method} ${path}: the document has no ${mediaType} schema for ${res.status} (body ${JSON.stringify(res.body).slice(0, 300)})`);
    const key = `${method} ${path} ${res.status} ${mediaType}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(this.standalone(schema));
      this.compiled.set(key, validate);
    }
    if (!validate(res.body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`);
      throw new Error(`${key} does not match its documented schema:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(res.body).slice(0, 2000)}`);
    }
  }

  /** The schema with the components it refers to (transitively) as closed `definitions`. */
  private standalone(schema: Json): Json {
    const definitions: Json = {};
    const pending = [...refsIn(schema)];
    while (pending.length) {
      const name = pending.pop()!;
      if (name in definitions) continue;
      const component = this.doc.components?.schemas?.[name];
      if (!component) throw new Error(`the document refers to ${REF}${name}, which it does not define`);
      definitions[name] = closed(component);
      pending.push(...refsIn(component));
    }
    return rewriteRefs({ ...closed(schema), definitions });
  }
}

function refsIn(schema: unknown): string[] {
  return [...JSON.stringify(schema).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
}

function rewriteRefs(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll(`"${REF}`, '"#/definitions/'));
}

/** A deep copy in which every object schema with `properties` and no `additionalProperties` admits no others. */
function closed(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const copy: Json = {};
  for (const [k, v] of Object.entries(schema)) copy[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, closed(s)])) : closed(v);
  if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy;
}
