import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError } from '../engine/errors/domain.error';
import type { Role } from './principal';
import { requestPrincipal } from './request-principal';
import { assertRole, ROLES_KEY } from './roles.decorator';

/** Liveness, metrics and the API docs (Swagger UI's page, its assets, the document) answer without a key; everything else needs one. */
const OPEN = [/^\/health(\/.*)?$/, /^\/metrics$/, /^\/docs(\/.*)?$/, /^\/docs-(json|yaml)$/];

export function isOpenPath(path: string): boolean {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return OPEN.some((re) => re.test(p));
}

/**
 * The global guard: the API key was resolved before the body was read (authenticate.middleware.ts);
 * here a route but the open ones needs the principal it attached, then the handler's `@Roles`.
 */
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    if (isOpenPath(req.path)) return true;
    const principal = requestPrincipal(req);
    if (!principal) throw new DomainError('unauthenticated', 'send the API key as "Authorization: Bearer <api key>"');
    assertRole(principal, this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]));
    return true;
  }
}
