import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';

/**
 * A few builders for the component schemas. The schemas are OpenAPI 3.0 (what @nestjs/swagger
 * writes): `nullable: true` rather than a `null` type, so openapi-typescript and every
 * 3.0 tool read them alike.
 */
export type Schema = SchemaObject | ReferenceObject;

export const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });

export const text = (description?: string): SchemaObject => ({ type: 'string', ...(description ? { description } : {}) });
export const int = (description?: string): SchemaObject => ({ type: 'integer', ...(description ? { description } : {}) });
export const bool = (description?: string): SchemaObject => ({ type: 'boolean', ...(description ? { description } : {}) });
export const timestamp = (description?: string): SchemaObject => ({ type: 'string', format: 'date-time', ...(description ? { description } : {}) });
export const uuid = (description?: string): SchemaObject => ({ type: 'string', format: 'uuid', ...(description ? { description } : {}) });
export const oneOfValues = (values: readonly (string | boolean)[], description?: string): SchemaObject => ({
  type: typeof values[0] === 'boolean' ? 'boolean' : 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});
export const list = (items: Schema, description?: string): SchemaObject => ({ type: 'array', items, ...(description ? { description } : {}) });
/** Any JSON value (a workflow's context, an event payload): the definition decides its shape. */
export const json = (description: string): SchemaObject => ({ description });
/** A JSON object whose members the API does not fix (a filter, a JSON Schema). */
export const openObject = (description: string): SchemaObject => ({ type: 'object', additionalProperties: true, description });

/**
 * The same schema, or null. A reference is wrapped, since 3.0 ignores the siblings of `$ref`;
 * an enum lists null too, as OpenAPI 3.0.3 says a nullable enum must.
 */
export function nullable(schema: Schema): SchemaObject {
  if ('$ref' in schema) return { allOf: [schema], nullable: true };
  return { ...schema, nullable: true, ...(schema.enum ? { enum: [...schema.enum, null] } : {}) };
}

/** Marks a property as one the response may leave out. */
const OPTIONAL = Symbol('optional');
type Property = Schema & { [OPTIONAL]?: true };
export const optional = (schema: Schema): Property => ({ ...schema, [OPTIONAL]: true });

/** An object whose properties are all present unless wrapped in `optional`. */
export function object(properties: Record<string, Property>, description?: string): SchemaObject {
  const plain: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [name, schema] of Object.entries(properties)) {
    const { [OPTIONAL]: isOptional, ...rest } = schema;
    plain[name] = rest;
    if (!isOptional) required.push(name);
  }
  return { type: 'object', ...(description ? { description } : {}), ...(required.length ? { required } : {}), properties: plain };
}

/** A page of a cursor-paged list: the items, and the cursor of the next page (null on the last). */
export const page = (item: string, description: string): SchemaObject =>
  object({ items: list(ref(item)), nextCursor: nullable(text('pass as `cursor` for the next page; null on the last page')) }, description);
