import type { ApiResponseOptions } from '@nestjs/swagger';
import { ref, type Schema } from './schemas';

/** OpenAPI pieces the controllers share. */
export const PROBLEM = { description: 'application/problem+json (RFC 9457)', content: { 'application/problem+json': { schema: ref('Problem') } } };

/** The body of an operator action: the reason recorded with the principal. */
export const REASON_BODY = { schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } }, additionalProperties: false } };

/**
 * A JSON response: a component schema by name (src/api/schemas), or a schema of its own.
 * The media type is written out, so a route's @ApiProduces never relabels it.
 */
export function jsonResponse(status: number, schema: string | Schema, description: string): ApiResponseOptions {
  return { status, description, content: { 'application/json': { schema: typeof schema === 'string' ? ref(schema) : schema } } };
}

/** A response that is not JSON (an SVG, a CSV export, an HTML report): a string in each media type. */
export function textResponse(status: number, mediaTypes: readonly string[], description: string): ApiResponseOptions {
  return { status, description, content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: { type: 'string' } }])) };
}

/** Dual control kept the action for a second operator. */
export const PENDING_APPROVAL = jsonResponse(202, 'PendingApproval', 'kept for a second operator (dual control); `Location` names the approval');
