export const ROLES = ['operator', 'reviewer', 'auditor', 'admin'] as const;
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

/** The history's actor string for a principal. */
export function actorId(principal: Principal): string {
  return `principal:${principal.id}`;
}
