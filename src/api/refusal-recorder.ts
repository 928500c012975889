import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { actorId } from '../auth/principal';
import { requestKeyPrefix, requestPrincipal } from '../auth/request-principal';
import { scopeOf, tenantScope } from '../auth/tenant-scope';
import type { SecurityEventInput, SecurityEventLog } from '../audit/security-events';
import { isRecorded } from '../engine/errors/recorded';
import { query } from '../engine/store/sql';
import type { WorkflowEngine } from '../engine/loop/workflow-engine';

/** The actions on one workflow or task (the API's own routes): only a refusal of one of these goes into a history. */
// Express routes without regard to case or a trailing slash: so do these.
const WORKFLOW_ACTION = /^\/v1\/workflows\/([^/]+)\/(?:events|cancel|pause|resume|terminate)\/?$/i;
const INCIDENT_ACTION = /^\/v1\/incidents\/([^/]+)\/(?:retry|resolve)\/?$/i;
const APPROVAL_ACTION = /^\/v1\/operator-approvals\/([^/]+)\/(?:approve|reject)\/?$/i;
const TASK_ACTION = /^\/v1\/tasks\/([^/]+)\/(?:claim|unclaim|complete|reassign)\/?$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLAUSIBLE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,1023}$/;
/** The same key refused for its rate this often is one event, not thousands. */
const RATE_LIMIT_EVENT_EVERY_MS = 60_000;
/**
 * Refusals of callers without a principal (no key, an unknown one) cost an attacker nothing:
 * per client address and process, this many a window are recorded one by one, the rest as
 * one summary event when the address is next refused after the window.
 */
const ANONYMOUS_EVENTS_PER_WINDOW = 10;
const ANONYMOUS_WINDOW_MS = 60_000;
const TRACKED_ADDRESSES_MAX = 10_000;
/** A recorded route is the path cut to this length (a path is the caller's to choose); a reason likewise. */
const ROUTE_MAX = 200;
const REASON_MAX = 500;

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
  private readonly anonymous = new Map<string, { since: number; recorded: number; suppressed: number }>();

  constructor(
    private readonly db: DataSource,
    private readonly engine: WorkflowEngine,
    private readonly log: SecurityEventLog,
  ) {}

  async record(req: Request, refusal: Refusal, err?: unknown): Promise<void> {
    const { status } = refusal;
    if (status < 400 || status >= 500 || isRecorded(err)) return;
    const principal = requestPrincipal(req);
    // A principal's rate refusals are one event a minute per key; an address's (refused keys) per address.
    if (status === 429 && !this.firstRateLimitEvent(principal ? `key:${refusal.keyPrefix ?? requestKeyPrefix(req) ?? ''}` : `address:${req.ip ?? ''}`)) return;
    const path = pathOf(req);
    const mutating = req.method !== 'GET' && req.method !== 'HEAD';
    // A malformed request that is not an action (a bad query on a read) is no refusal of anything.
    if (status === 400 && !mutating) return;
    // A refused action goes into the workflow's history; a refused read into the security event log,
    // so a page that polls what it may not read cannot fill a workflow's history.
    if (principal && mutating && status !== 401 && status !== 429) {
      const workflowId = req.method === 'POST' ? await this.targetWorkflow(req, path) : undefined;
      if (workflowId !== undefined) {
        const actor = { actor: actorId(principal), origin: { requestId: requestIdOf(req), clientAddress: req.ip } };
        const route = `${req.method} ${path.length > ROUTE_MAX ? `${path.slice(0, ROUTE_MAX)}…` : path}`;
        if (await this.engine.recordRefusal(workflowId, actor, { route, status, code: refusal.code, reason: refusal.reason.slice(0, REASON_MAX) })) return;
      }
      // Only refusals of something: a 400 on a tenant-wide route or a 409 there is the caller's own business.
      if (status !== 403 && status !== 404) return;
    }
    if (!principal) {
      const summary = this.anonymousAllowance(req.ip ?? '');
      if (summary === false) return;
      if (typeof summary === 'string') await this.log.record({ ...this.eventOf(req, undefined, refusal, path), code: 'refusals_suppressed', reason: summary });
    }
    await this.log.record(this.eventOf(req, principal, refusal, path));
  }

  private eventOf(req: Request, principal: ReturnType<typeof requestPrincipal>, refusal: Refusal, path: string): SecurityEventInput {
    return {
      tenant: principal?.tenant ?? null,
      principal: principal ? actorId(principal) : null,
      keyPrefix: refusal.keyPrefix ?? requestKeyPrefix(req) ?? null,
      clientAddress: req.ip ?? null,
      requestId: requestIdOf(req) ?? null,
      method: req.method,
      route: path.length > ROUTE_MAX ? `${path.slice(0, ROUTE_MAX)}…` : path,
      status: refusal.status,
      code: refusal.code,
      reason: refusal.reason.slice(0, REASON_MAX),
    };
  }

  /**
   * Whether an anonymous refusal from this address is recorded: true, false (over the window's
   * allowance: counted only), or the text of a summary event to record first (what the last
   * window suppressed).
   */
  private anonymousAllowance(address: string): boolean | string {
    const now = Date.now();
    let entry = this.anonymous.get(address);
    let summary: string | undefined;
    if (entry && now - entry.since >= ANONYMOUS_WINDOW_MS) {
      if (entry.suppressed > 0) summary = `${entry.suppressed} more refusals of requests without a valid key from this address were not recorded one by one (${ANONYMOUS_EVENTS_PER_WINDOW} a minute are)`;
      entry = undefined;
    }
    if (!entry) {
      if (this.anonymous.size >= TRACKED_ADDRESSES_MAX) this.anonymous.delete(this.anonymous.keys().next().value as string);
      entry = { since: now, recorded: 0, suppressed: 0 };
      this.anonymous.set(address, entry);
    }
    if (entry.recorded >= ANONYMOUS_EVENTS_PER_WINDOW) {
      entry.suppressed++;
      return false;
    }
    entry.recorded++;
    return summary ?? true;
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
    const workflow = WORKFLOW_ACTION.exec(path);
    if (workflow) {
      const id = decoded(workflow[1]!);
      if (!id || !PLAUSIBLE_ID.test(id)) return undefined;
      const [row] = await query<{ id: string }>(this.db, 'SELECT id FROM workflow_instance WHERE id = $1 AND tenant = $2', [scope.workflowKey(id), scope.tenant]);
      return row?.id;
    }
    const incident = INCIDENT_ACTION.exec(path);
    if (incident) {
      const id = decoded(incident[1]!);
      if (!id || !UUID.test(id)) return undefined;
      const [row] = await query<{ workflow_id: string }>(this.db, 'SELECT workflow_id FROM incident WHERE id = $1 AND tenant = $2', [id, scope.tenant]);
      return row?.workflow_id;
    }
    const approval = APPROVAL_ACTION.exec(path);
    if (approval) {
      // A refused approval (the requester's own, dual control) is recorded with the workflow it is about.
      const id = decoded(approval[1]!);
      if (!id || !UUID.test(id)) return undefined;
      const [row] = await query<{ workflow_id: string | null }>(
        this.db,
        `SELECT coalesce(i.workflow_id, w.id) AS workflow_id FROM operator_approval a
           LEFT JOIN incident i ON i.id::text = a.target ->> 'incidentId' AND i.tenant = a.tenant
           LEFT JOIN workflow_instance w ON w.id = $3 || (a.target ->> 'workflowId') AND w.tenant = a.tenant
          WHERE a.id = $1 AND a.tenant = $2`,
        [id, scope.tenant, scope.tenant === 'default' ? '' : `${scope.tenant}/`],
      );
      return row?.workflow_id ?? undefined;
    }
    const task = TASK_ACTION.exec(path);
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
