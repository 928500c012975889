/**
 * Tenants and the ids of their workflows. A workflow id is a namespace per tenant: tenant B
 * may start `P-1` while tenant A has one. The engine keys every instance (its row, history,
 * activities, timers, tasks, job payloads and the idempotency keys sent to partners) by the
 * stored id `<tenant>/<id>`, so a lookup made with the caller's tenant can only ever reach
 * that tenant's rows, and a child, whose id extends its parent's, is in its parent's tenant.
 *
 * The `default` tenant's ids are stored as they are: the instances recorded before tenancy
 * keep their hash chains, which cover the id. Neither a client's id nor a tenant name may
 * contain `/`, so the two forms never meet.
 */
export const DEFAULT_TENANT = 'default';

/** The id the engine stores for a tenant's workflow `id`. */
export function storedId(tenant: string, id: string): string {
  return tenant === DEFAULT_TENANT ? id : `${tenant}/${id}`;
}

/** The id a tenant knows its workflow by: the stored id without its tenant. */
export function publicId(stored: string): string;
export function publicId(stored: string | null): string | null;
export function publicId(stored: string | null): string | null {
  if (stored === null) return null;
  const slash = stored.indexOf('/');
  return slash < 0 ? stored : stored.slice(slash + 1);
}
