import type { Request } from 'express';
import type { Principal } from './principal';

/** A symbol, not a property name: nothing a client sends (a body, a header) can set it. */
const PRINCIPAL = Symbol('statera.principal');

type WithPrincipal = Request & { [PRINCIPAL]?: Principal };

export function attachPrincipal(req: Request, principal: Principal): void {
  (req as WithPrincipal)[PRINCIPAL] = principal;
}

/** The principal the auth guard resolved for this request; undefined on the open routes. */
export function requestPrincipal(req: Request): Principal | undefined {
  return (req as WithPrincipal)[PRINCIPAL];
}
