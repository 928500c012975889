/**
 * `admin` is a tenant admin: every role within its own tenant, and the principals and keys of
 * that tenant. `platform-admin` is all of that for every tenant: it manages any tenant's
 * principals and reads any tenant's workflows, but only with an explicit `tenant` filter.
 */
export const ROLES = ['operator', 'reviewer', 'auditor', 'admin', 'platform-admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved from an API key on every request but /health and /metrics. */
export interface Principal {
  id: string;
  displayName: string;
  roles: Role[];
  /** Reviewer groups, e.g. `underwriters`: which human tasks the principal may work on. */
  groups: string[];
  tenant: string;
}

export function isPlatformAdmin(principal: Principal): boolean {
  return principal.roles.includes('platform-admin');
}

/** Within its tenant, an admin (tenant or platform) may do what every role may. */
export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes('admin') || isPlatformAdmin(principal);
}

/** The history's actor string for a principal (unique within its tenant, which is the workflow's). */
export function actorId(principal: Principal): string {
  return `principal:${principal.id}`;
}
