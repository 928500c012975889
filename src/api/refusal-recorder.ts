import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { actorId } from '../auth/principal';
import { requestKeyPrefix, requestPrincipal } from '../auth/request-principal';
import { scopeOf, tenantScope } from '../auth/tenant-scope';
import type { SecurityEventLog } from '../audit/security-events';
import { isRecorded } from '../engine/errors/recorded';
import { query } from '../engine/sql';
import type { WorkflowEngine } from '../engine/workflow-engine';

const WORKFLOW_ROUTE = /^\/v1\/workflows\/([^/]+)(?:\/|$)/;
const TASK_ROUTE = /^\/v1\/tasks\/([^/]+)(?:\/|$)/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLAUSIBLE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,1023}$/;
/** The same key refused for its rate this often is one event, not thousands. */
const RATE_LIMIT_EVENT_EVERY_MS = 60_000;

export interface Refusal {
  status: number;
  code: string;
  reason: string;
  keyPrefix?: string;
}

function pathOf(req: Request): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Every refused request leaves a trace. A refusal of an action on one of the caller's
 * tenant's workflows (or of its tasks) goes into that workflow's history, with the principal,
 * the route and the reason; one that cannot (no such workflow for this tenant, an unknown key,
 * a tenant-wide route) goes into the security event log. A refusal the engine already wrote
 * into the history (four-eyes, an event not accepted) is not written twice.
 */
export class RefusalRecorder {
  private readonly rateLimited = new Map<string, number>();

  constructor(
    private readonly db: DataSource,
    private readonly engine: WorkflowEngine,
    private readonly log: SecurityEventLog,
  ) {}

  async record(req: Request, refusal: Refusal, err?: unknown): Promise<void> {
    const { status } = refusal;
    if (status < 400 || status >= 500 || isRecorded(err)) return;
    if (status === 429 && !this.firstRateLimitEvent(refusal.keyPrefix ?? req.ip ?? '')) return;
    const principal = requestPrincipal(req);
    const path = pathOf(req);
    const mutating = req.method !== 'GET' && req.method !== 'HEAD';
    // A malformed request that is not an action (a bad query on a read) is no refusal of anything.
    if (status === 400 && !mutating) return;
    // A refused action goes into the workflow's history; a refused read into the security event log,
    // so a page that polls what it may not read cannot fill a workflow's history.
    if (principal && mutating && status !== 401 && status !== 429) {
      const workflowId = await this.targetWorkflow(req, path);
      if (workflowId !== undefined) {
        const actor = { actor: actorId(principal), origin: { requestId: requestIdOf(req), clientAddress: req.ip } };
        if (await this.engine.recordRefusal(workflowId, actor, { route: `${req.method} ${path}`, status, code: refusal.code, reason: refusal.reason })) return;
      }
      // Only refusals of something: a 400 on a tenant-wide route or a 409 there is the caller's own business.
      if (status !== 403 && status !== 404) return;
    }
    await this.log.record({
      tenant: principal?.tenant ?? null,
      principal: principal ? actorId(principal) : null,
      keyPrefix: refusal.keyPrefix ?? requestKeyPrefix(req) ?? null,
      clientAddress: req.ip ?? null,
      requestId: requestIdOf(req) ?? null,
      method: req.method,
      route: path,
      status,
      code: refusal.code,
      reason: refusal.reason,
    });
  }

  /** The stored id of the caller's tenant's workflow the request is about (directly or through a task), if it exists. */
  private async targetWorkflow(req: Request, path: string): Promise<string | undefined> {
    const principal = requestPrincipal(req)!;
    let scope;
    try {
      scope = scopeOf(req);
    } catch {
      // Refused before the tenant scope was settled (a role refusal): the principal's own tenant.
      scope = tenantScope(principal.tenant);
    }
    const workflow = WORKFLOW_ROUTE.exec(path);
    if (workflow) {
      const id = decoded(workflow[1]!);
      if (!id || !PLAUSIBLE_ID.test(id)) return undefined;
      const [row] = await query<{ id: string }>(this.db, 'SELECT id FROM workflow_instance WHERE id = $1 AND tenant = $2', [scope.workflowKey(id), scope.tenant]);
      return row?.id;
    }
    const task = TASK_ROUTE.exec(path);
    if (task) {
      const id = decoded(task[1]!);
      if (!id || !UUID.test(id)) return undefined;
      const [row] = await query<{ workflow_id: string }>(this.db, 'SELECT workflow_id FROM human_task WHERE id = $1 AND tenant = $2', [id, scope.tenant]);
      return row?.workflow_id;
    }
    return undefined;
  }

  private firstRateLimitEvent(key: string): boolean {
    const now = Date.now();
    const last = this.rateLimited.get(key);
    if (last !== undefined && now - last < RATE_LIMIT_EVENT_EVERY_MS) return false;
    if (this.rateLimited.size > 10_000) this.rateLimited.clear();
    this.rateLimited.set(key, now);
    return true;
  }
}

function requestIdOf(req: Request): string | undefined {
  return (req.res?.getHeader('x-request-id') as string | undefined) ?? undefined;
}
