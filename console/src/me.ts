import { createContext, useContext } from 'react';
import type { Principal } from './api';

/** The signed-in principal, from GET /v1/me. */
export const MeContext = createContext<Principal | null>(null);

export function useMe(): Principal {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in page');
  return me;
}

export const hasRole = (me: Principal, ...roles: string[]) => me.roles.includes('admin') || me.roles.includes('platform-admin') || roles.some((r) => me.roles.includes(r));
