import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError } from '../engine/errors/domain.error';
import type { ApiKeyService } from './api-key.service';
import type { Role } from './principal';
import { attachPrincipal } from './request-principal';
import { assertRole, ROLES_KEY } from './roles.decorator';

/** Liveness, metrics and the API docs answer without a key; everything else needs one. */
const OPEN = [/^\/health(\/.*)?$/, /^\/metrics$/, /^\/docs$/, /^\/docs-json$/];

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;
/** Generated keys are 47 characters; STATERA_BOOTSTRAP_ADMIN_KEY at least 24. Anything else cannot be a key: no lookup. */
const PLAUSIBLE_KEY = /^[\x21-\x7e]{24,512}$/;

export function isOpenPath(path: string): boolean {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return OPEN.some((re) => re.test(p));
}

/**
 * The global guard: `Authorization: Bearer <api key>` on every route but the open ones,
 * resolved to a principal attached to the request, then the handler's `@Roles` checked.
 * Unknown and revoked keys get the same answer.
 */
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    if (isOpenPath(req.path)) return true;
    const header = req.header('authorization');
    if (header === undefined) throw new DomainError('unauthenticated', 'send the API key as "Authorization: Bearer <api key>"');
    const key = BEARER.exec(header)?.[1];
    if (key === undefined) throw new DomainError('unauthenticated', 'the Authorization header is not "Bearer <api key>"');
    const principal = PLAUSIBLE_KEY.test(key) ? await this.keys.resolve(key) : undefined;
    if (!principal) throw new DomainError('unauthenticated', 'the API key is unknown or revoked');
    attachPrincipal(req, principal);
    assertRole(principal, this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]));
    return true;
  }
}
