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

/** Which key a request presented: its first 8 characters (as stored), and its api_key row id once resolved. */
export interface RequestKey {
  prefix: string;
  id?: string;
}

const KEY = Symbol('statera.apiKey');

type WithKey = Request & { [KEY]?: RequestKey };

export function attachKey(req: Request, key: RequestKey): void {
  (req as WithKey)[KEY] = key;
}

/** The first 8 characters of the key this request presented (resolved or not); undefined when none was plausible. */
export function requestKeyPrefix(req: Request): string | undefined {
  return (req as WithKey)[KEY]?.prefix;
}

/** The api_key row id of the key that authenticated this request. */
export function requestKeyId(req: Request): string | undefined {
  return (req as WithKey)[KEY]?.id;
}
