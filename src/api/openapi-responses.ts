import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { PROBLEM } from './openapi-shapes';
import { COMPONENT_SCHEMAS } from './schemas';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const RETRY_AFTER = { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } };

/**
 * What any route under /v1 may answer, whatever it does: the authentication middleware, the
 * tenant guard, the input guard, the rate limits and a PostgreSQL outage answer before (or
 * instead of) the controller.
 */
const EVERY_V1_ROUTE: Record<string, ResponseObject> = {
  400: { ...PROBLEM, description: 'the request is not valid: `errors` names each field at fault' },
  401: { ...PROBLEM, description: 'no API key, or one that is malformed, unknown or revoked (with `WWW-Authenticate: Bearer`)' },
  403: { ...PROBLEM, description: 'the principal lacks a role this requires, or named another tenant' },
  429: { ...PROBLEM, description: 'over a rate limit of the key, the tenant or the client address', headers: RETRY_AFTER },
  503: { ...PROBLEM, description: 'PostgreSQL is unavailable: nothing was done, retry after `Retry-After` seconds', headers: RETRY_AFTER },
};
const WITH_PATH_PARAMETER: Record<string, ResponseObject> = { 404: { ...PROBLEM, description: "no such resource, or another tenant's" } };
const WITH_BODY: Record<string, ResponseObject> = { 413: { ...PROBLEM, description: 'the body is larger than 1 MiB' } };

/**
 * Writes the response schemas into the document: the named component schemas
 * (src/api/schemas) the controllers' responses refer to, the problem responses every /v1
 * route may give, and the Problem schema on any error response declared without a body.
 * A reference to a schema that does not exist fails here, when the document is built.
 */
export function documentResponses(doc: OpenAPIObject): void {
  const schemas = ((doc.components ??= {}).schemas ??= {});
  for (const [name, schema] of Object.entries(COMPONENT_SCHEMAS)) {
    if (name in schemas) throw new Error(`the OpenAPI component schema ${name} is defined twice`);
    schemas[name] = schema;
  }
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) continue;
      const responses = (operation.responses ??= {});
      if (path.startsWith('/v1/')) {
        const generic = { ...EVERY_V1_ROUTE, ...(path.includes('{') ? WITH_PATH_PARAMETER : {}), ...(operation.requestBody ? WITH_BODY : {}) };
        for (const [status, response] of Object.entries(generic)) responses[status] ??= response;
      }
      for (const [status, response] of Object.entries(responses)) {
        const r = response as ResponseObject;
        if (Number(status) >= 400 && !r.content) r.content = PROBLEM.content;
      }
    }
  }
  const dangling = [...new Set(JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g) ?? [])].filter((r) => !(r.slice('#/components/schemas/'.length) in schemas));
  if (dangling.length) throw new Error(`the OpenAPI document refers to schemas it does not define: ${dangling.join(', ')}`);
}
