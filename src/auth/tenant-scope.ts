import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '../engine/errors/domain.error';
import { storedId } from '../engine/store/tenancy';
import { isPlatformAdmin, type Principal } from './principal';
import { requestPrincipal } from './request-principal';

/** What a tenant's name may be: as a principal's id (and never a `/`, which qualifies workflow ids). */
export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/**
 * The tenant one request is confined to: the caller's, or, for a platform admin's read, the one
 * named by `?tenant=`. Every query and engine call of a handler goes through it, so a handler
 * cannot reach another tenant's rows by forgetting a filter.
 */
export interface TenantScope {
  readonly tenant: string;
  /** A platform admin named the tenant (or, on a route that reads across tenants, none at all). */
  readonly explicit: boolean;
  /** Whether the caller may see every tenant when it names none (a platform admin). */
  readonly platform: boolean;
  /** The stored id of this tenant's workflow `id`. */
  workflowKey(id: string): string;
}

export function tenantScope(tenant: string, options: { explicit?: boolean; platform?: boolean } = {}): TenantScope {
  return { tenant, explicit: options.explicit ?? false, platform: options.platform ?? false, workflowKey: (id) => storedId(tenant, id) };
}

const SCOPE = Symbol('statera.tenantScope');
type WithScope = Request & { [SCOPE]?: TenantScope };

/** The scope the tenant guard settled; a handler behind the guards always has one. */
export function scopeOf(req: Request): TenantScope {
  const scope = (req as WithScope)[SCOPE];
  if (!scope) throw new DomainError('unauthenticated', 'send the API key as "Authorization: Bearer <api key>"');
  return scope;
}

/** Settles the scope from the principal and `?tenant=`, and takes `tenant` out of the query the handler validates. */
export function settleScope(req: Request, principal: Principal): TenantScope {
  const named = (req.query as Record<string, unknown> | undefined)?.tenant;
  let scope = tenantScope(principal.tenant, { platform: isPlatformAdmin(principal) });
  if (named !== undefined) {
    if (typeof named !== 'string' || !TENANT_NAME.test(named)) {
      throw new DomainError('validation_failed', 'the request does not match its schema', { errors: [{ field: 'tenant', message: 'not a tenant name' }] });
    }
    if (named !== principal.tenant) {
      if (!isPlatformAdmin(principal)) throw new DomainError('forbidden', 'only a platform admin may name another tenant', { requiredRoles: ['platform-admin'] });
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new DomainError('forbidden', 'a platform admin names another tenant on reads only; act as a principal of that tenant', {});
    }
    scope = tenantScope(named, { explicit: true, platform: isPlatformAdmin(principal) });
    const { tenant: _tenant, ...rest } = req.query as Record<string, unknown>;
    // Express 5's `req.query` is a getter: shadow it on the request itself.
    Object.defineProperty(req, 'query', { value: rest, configurable: true, enumerable: true, writable: true });
  }
  (req as WithScope)[SCOPE] = scope;
  return scope;
}

/** Runs after the auth guard: every authenticated request gets its tenant scope before its handler. */
export class TenantScopeGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const principal = requestPrincipal(req);
    if (principal) settleScope(req, principal);
    return true;
  }
}
