import type { SchemaObject } from '@nestjs/swagger';
import { int, list, object, optional, ref, text } from './dsl';

/** One field at fault in a 400: a dotted path into the body (or `query`, `path`, `cursor`, …). */
export const FieldError = object({ field: text('a dotted path: `input.amount.currency`, `reason`, `(body)`'), message: text() });

/**
 * RFC 9457 problem details, as src/api/problem.ts writes them: the five members the RFC
 * defines, the request id, field errors for invalid input, and the error's own details
 * (`workflowId`, `state`, `requiredRoles`, `retryAfterSeconds`, …) as extension members.
 */
export const Problem: SchemaObject = {
  ...object(
    {
      type: text('a stable URI per problem, e.g. `https://statera.dev/problems/workflow-not-found`; its last segment is the code'),
      title: text('the same for every problem of this type'),
      status: int('the HTTP status'),
      detail: optional(text('what happened in this case')),
      instance: optional(text('the request path, without the query')),
      requestId: optional(text('the `X-Request-Id` of the request, as in the logs')),
      errors: optional(list(ref('FieldError'), 'present on 400 for invalid input: each field at fault')),
      retryAfterSeconds: optional(int('on 503: when to retry (also the `Retry-After` header)')),
    },
    'application/problem+json (RFC 9457)',
  ),
  additionalProperties: true,
};
