import type { Request } from 'express';
import { actorId, type Principal } from '../auth/principal';
import { requestPrincipal } from '../auth/request-principal';
import { DomainError } from '../engine/errors/domain.error';
import type { Actor } from '../engine/store/history';

/** The caller the auth guard resolved; a handler behind the guard always has one. */
export function principalOf(req: Request): Principal {
  const principal = requestPrincipal(req);
  if (!principal) throw new DomainError('unauthenticated', 'send the API key as "Authorization: Bearer <api key>"');
  return principal;
}

/** Who is calling, for the history: `principal:<id>`, and where the request came from. */
export function actorOf(req: Request): Actor {
  const requestId = (req.res?.getHeader('x-request-id') as string | undefined) ?? undefined;
  return { actor: actorId(principalOf(req)), origin: { requestId, clientAddress: req.ip } };
}

/** An Idempotency-Key belongs to its principal: two callers choosing the same key never see each other's result. */
export function idempotencyScope(req: Request, route: string): string {
  const principal = principalOf(req);
  return `${principal.tenant}|${principal.id}|${route}`;
}
