/** OpenAPI pieces the controllers share. */
export const PROBLEM = { description: 'application/problem+json (RFC 9457)' };

/** The body of an operator action: the reason recorded with the principal. */
export const REASON_BODY = { schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } }, additionalProperties: false } };
