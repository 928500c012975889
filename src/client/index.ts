import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

/**
 * A typed client of the Statera REST API: openapi-fetch over the types generated from the
 * OpenAPI document (./schema.ts), so every path, parameter, body and answer is checked by
 * the compiler.
 *
 *   const statera = createStateraClient({ baseUrl: 'http://127.0.0.1:3000', apiKey });
 *   const { data, error, response } = await statera.GET('/v1/workflows/{id}', { params: { path: { id } } });
 *
 * `data` is the 2xx body, `error` the problem+json of a 4xx or 5xx; a network failure rejects.
 */
export type StateraClient = Client<paths>;

export interface StateraClientOptions {
  /** The server, without /v1: `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** An API key (`stk_…`), sent as `Authorization: Bearer`. */
  apiKey: string;
  /** Replaces the global fetch (a proxy, a test double of the network). */
  fetch?: (input: Request) => Promise<Response>;
  /** More headers on every request (a `User-Agent`, say). */
  headers?: Record<string, string>;
}

export function createStateraClient(options: StateraClientOptions): StateraClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { ...options.headers, Authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type Workflow = Schemas['Workflow'];
export type WorkflowDetail = Schemas['WorkflowDetail'];
export type WorkflowList = Schemas['WorkflowList'];
export type WorkflowStatus = Workflow['status'];
export type HistoryRecord = Schemas['HistoryRecord'];
export type Definition = Schemas['Definition'];
export type Task = Schemas['Task'];
export type Incident = Schemas['Incident'];
export type BatchOperation = Schemas['BatchOperation'];
export type OperatorApproval = Schemas['OperatorApproval'];
export type Principal = Schemas['Principal'];
/** A start request: one body per registered definition, by `type` (the machines/ processes; a server's extra definitions are not in it). */
export type StartWorkflowBody = paths['/v1/workflows']['post']['requestBody']['content']['application/json'];
/** A signal: one body per event type the registered definitions accept. */
export type WorkflowEvent = paths['/v1/workflows/{id}/events']['post']['requestBody']['content']['application/json'];

/** The workflow statuses after which nothing more happens to an instance. */
export const TERMINAL_STATUSES: readonly WorkflowStatus[] = ['completed', 'failed', 'cancelled', 'terminated'];

export type { components, operations, paths };
