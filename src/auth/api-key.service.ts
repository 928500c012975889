import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DomainError, type FieldError } from '../engine/errors/domain.error';
import { inTransaction, query, type Tx } from '../engine/store/sql';
import { ROLES, type Principal, type Role } from './principal';

/** `stk_` and 43 base64url characters: 256 random bits. */
export const API_KEY_PATTERN = /^stk_[A-Za-z0-9_-]{43}$/;
/** How long a resolved key is trusted without asking PostgreSQL: a revocation takes effect within it everywhere. */
export const KEY_CACHE_TTL_MS = 2_000;
const KEY_CACHE_MAX = 1_000;
const LOCK_SAMPLE_PRINCIPALS = 7265822;

export type KeySource = 'api' | 'bootstrap' | 'development';

export interface IssuedKey {
  principal: Principal;
  /** Shown once: only its hash is stored. */
  key: string;
  keyId: string;
  keyPrefix: string;
  createdPrincipal: boolean;
}

export interface ResolvedKey {
  principal: Principal;
  /** The api_key row's id: safe to log, names the key without revealing it. */
  keyId: string;
}

export interface KeyListing {
  id: string;
  keyPrefix: string;
  source: KeySource;
  createdAt: string;
  revokedAt: string | null;
}

export interface PrincipalListing extends Principal {
  createdAt: string;
  disabledAt: string | null;
  keys: KeyListing[];
}

export function generateApiKey(): string {
  return `stk_${randomBytes(32).toString('base64url')}`;
}

/** A fast hash is right here: the keys are 256-bit random, so there is nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Enough to tell keys apart in a list, far too little to use. */
export function keyPrefixOf(key: string): string {
  return key.slice(0, 8);
}

interface PrincipalRow {
  id: string;
  display_name: string;
  roles: Role[];
  groups: string[];
  tenant: string;
  created_at: Date;
  disabled_at: Date | null;
}

const toPrincipal = (r: PrincipalRow): Principal => ({ id: r.id, displayName: r.display_name, roles: r.roles, groups: r.groups, tenant: r.tenant });
const normalise = (p: Principal): Principal => ({ ...p, roles: ROLES.filter((r) => p.roles.includes(r)), groups: [...new Set(p.groups)].sort() });
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Principals and their API keys: creation, resolution on every request, listing, revocation. */
export class ApiKeyService {
  private readonly cache = new Map<string, { resolved: ResolvedKey; until: number }>();

  constructor(
    private readonly db: DataSource,
    private readonly cacheTtlMs = KEY_CACHE_TTL_MS,
  ) {}

  /** The principal of an active key of an enabled principal; one lookup by the unique hash. */
  async resolve(key: string): Promise<Principal | undefined> {
    return (await this.resolveKey(key))?.principal;
  }

  /** The principal and the api_key row id of an active key: what the request authenticates as, and which key did. */
  async resolveKey(key: string): Promise<ResolvedKey | undefined> {
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.resolved;
    this.cache.delete(hash);
    const [row] = await query<PrincipalRow & { key_id: string }>(
      this.db,
      `SELECT p.*, k.id AS key_id FROM api_key k JOIN principal p ON p.tenant = k.principal_tenant AND p.id = k.principal_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND p.disabled_at IS NULL`,
      [hash],
    );
    if (!row) return undefined;
    const resolved: ResolvedKey = { principal: toPrincipal(row), keyId: row.key_id };
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    if (this.cacheTtlMs > 0) this.cache.set(hash, { resolved, until: Date.now() + this.cacheTtlMs });
    return resolved;
  }

  /** Creates the principal when new, or adds a key to it when the request describes it exactly as stored. */
  async issue(spec: Principal, source: KeySource = 'api'): Promise<IssuedKey> {
    return inTransaction(this.db, (tx) => this.issueIn(tx, normalise(spec), source));
  }

  /** Creates these principals, each with a key, only when there is no principal at all: the first start in development. */
  async createIfNone(specs: readonly Principal[]): Promise<IssuedKey[]> {
    return inTransaction(this.db, async (tx) => {
      await tx.rows('SELECT pg_advisory_xact_lock($1)', [LOCK_SAMPLE_PRINCIPALS]);
      if (await tx.one('SELECT 1 FROM principal LIMIT 1')) return [];
      const issued: IssuedKey[] = [];
      for (const spec of specs) issued.push(await this.issueIn(tx, normalise(spec), 'development'));
      return issued;
    });
  }

  /**
   * Makes `key` a key of `principal` (with every role), retiring any earlier bootstrap key
   * (a rotated STATERA_BOOTSTRAP_ADMIN_KEY). A bootstrap key that was revoked stays revoked:
   * restarting with a leaked key must not bring it back.
   */
  async ensureBootstrapKey(principal: Principal, key: string): Promise<void> {
    const hash = hashApiKey(key);
    await inTransaction(this.db, async (tx) => {
      const before = await tx.one<{ roles: Role[] }>('SELECT roles FROM principal WHERE tenant = $1 AND id = $2 FOR UPDATE', [principal.tenant, principal.id]);
      await tx.rows(
        `INSERT INTO principal (id, display_name, roles, groups, tenant) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant, id) DO UPDATE SET roles = EXCLUDED.roles`,
        [principal.id, principal.displayName, principal.roles, principal.groups, principal.tenant],
      );
      // Raising an existing principal's roles must not raise the keys someone else gave it: a
      // tenant admin who planted the bootstrap principal's id must not become a platform admin.
      if (before && principal.roles.some((r) => !before.roles.includes(r))) {
        await tx.rows(`UPDATE api_key SET revoked_at = now() WHERE principal_tenant = $1 AND principal_id = $2 AND source <> 'bootstrap' AND revoked_at IS NULL`, [principal.tenant, principal.id]);
      }
      await tx.rows(
        `UPDATE api_key SET revoked_at = now() WHERE principal_tenant = $1 AND principal_id = $2 AND source = 'bootstrap' AND key_hash <> $3 AND revoked_at IS NULL`,
        [principal.tenant, principal.id, hash],
      );
      await tx.rows(
        `INSERT INTO api_key (id, principal_tenant, principal_id, key_hash, key_prefix, source) VALUES ($1, $2, $3, $4, $5, 'bootstrap') ON CONFLICT (key_hash) DO NOTHING`,
        [randomUUID(), principal.tenant, principal.id, hash, keyPrefixOf(key)],
      );
      const stored = await tx.one<{ principal_id: string; principal_tenant: string; revoked_at: Date | null }>(
        'SELECT principal_id, principal_tenant, revoked_at FROM api_key WHERE key_hash = $1',
        [hash],
      );
      if (stored?.principal_id !== principal.id || stored.principal_tenant !== principal.tenant) throw new Error(`invalid configuration: STATERA_BOOTSTRAP_ADMIN_KEY is the key of another principal; choose another`);
      if (stored.revoked_at) throw new Error(`invalid configuration: STATERA_BOOTSTRAP_ADMIN_KEY has been revoked; set a new one`);
    });
  }

  /** One tenant's principals by id, newest keys last; never a key or its hash. */
  async list(tenant: string, limit: number, after?: string): Promise<{ items: PrincipalListing[]; nextCursor: string | null }> {
    const rows = await query<PrincipalRow & { keys: { id: string; keyPrefix: string; source: KeySource; createdAt: string; revokedAt: string | null }[] }>(
      this.db,
      `SELECT p.*, coalesce(json_agg(json_build_object('id', k.id, 'keyPrefix', k.key_prefix, 'source', k.source, 'createdAt', k.created_at, 'revokedAt', k.revoked_at)
                                     ORDER BY k.created_at, k.id) FILTER (WHERE k.id IS NOT NULL), '[]') AS keys
         FROM principal p LEFT JOIN api_key k ON k.principal_tenant = p.tenant AND k.principal_id = p.id
        WHERE p.tenant = $3 AND ($1::text IS NULL OR p.id > $1)
        GROUP BY p.tenant, p.id ORDER BY p.id LIMIT $2`,
      [after ?? null, limit + 1, tenant],
    );
    const items = rows.slice(0, limit).map((r) => ({
      ...toPrincipal(r),
      createdAt: iso(r.created_at) as string,
      disabledAt: iso(r.disabled_at),
      keys: r.keys.map((k) => ({ ...k, createdAt: iso(k.createdAt) as string, revokedAt: iso(k.revokedAt) })),
    }));
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /**
   * Revokes at once in this process; other processes stop accepting it within KEY_CACHE_TTL_MS.
   * Undefined when there is no such key in `tenant` that a tenant admin may revoke (any key, for
   * null: a platform admin).
   */
  async revoke(keyId: string, tenant: string | null): Promise<(KeyListing & { principalId: string; tenant: string }) | undefined> {
    // A tenant admin may not revoke what it may not grant: the keys of a platform admin, and the bootstrap key.
    const [row] = await query<{ id: string; principal_id: string; principal_tenant: string; key_prefix: string; source: KeySource; created_at: Date; revoked_at: Date; key_hash: string }>(
      this.db,
      `UPDATE api_key k SET revoked_at = coalesce(k.revoked_at, now())
        WHERE k.id = $1
          AND ($2::text IS NULL OR (k.principal_tenant = $2 AND k.source <> 'bootstrap'
               AND NOT EXISTS (SELECT 1 FROM principal p WHERE p.tenant = k.principal_tenant AND p.id = k.principal_id AND 'platform-admin' = ANY(p.roles))))
        RETURNING k.*`,
      [keyId, tenant],
    );
    if (!row) return undefined;
    this.cache.delete(row.key_hash);
    return { id: row.id, principalId: row.principal_id, tenant: row.principal_tenant, keyPrefix: row.key_prefix, source: row.source, createdAt: iso(row.created_at) as string, revokedAt: iso(row.revoked_at) };
  }

  private async issueIn(tx: Tx, spec: Principal, source: KeySource): Promise<IssuedKey> {
    const inserted = await tx.one(
      `INSERT INTO principal (id, display_name, roles, groups, tenant) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, id) DO NOTHING RETURNING id`,
      [spec.id, spec.displayName, spec.roles, spec.groups, spec.tenant],
    );
    const row = await tx.one<PrincipalRow>('SELECT * FROM principal WHERE tenant = $1 AND id = $2 FOR UPDATE', [spec.tenant, spec.id]);
    if (!row) throw new Error(`principal ${spec.id} vanished while a key was issued`);
    if (!inserted) assertSamePrincipal(spec, row);
    const key = generateApiKey();
    const keyId = randomUUID();
    await tx.rows('INSERT INTO api_key (id, principal_tenant, principal_id, key_hash, key_prefix, source) VALUES ($1, $2, $3, $4, $5, $6)', [
      keyId,
      spec.tenant,
      spec.id,
      hashApiKey(key),
      keyPrefixOf(key),
      source,
    ]);
    return { principal: toPrincipal(row), key, keyId, keyPrefix: keyPrefixOf(key), createdPrincipal: Boolean(inserted) };
  }
}

/** A key for an existing principal only when the request describes it as stored: no silent change of roles or tenant. */
function assertSamePrincipal(spec: Principal, row: PrincipalRow): void {
  const stored = normalise(toPrincipal(row));
  const errors: FieldError[] = [];
  if (row.disabled_at) errors.push({ field: 'principal.id', message: `principal ${spec.id} is disabled` });
  for (const field of ['displayName', 'roles', 'groups', 'tenant'] as const) {
    if (JSON.stringify(spec[field]) !== JSON.stringify(stored[field])) errors.push({ field: `principal.${field}`, message: `differs from the existing principal ${spec.id}` });
  }
  if (errors.length) throw new DomainError('validation_failed', `principal ${spec.id} exists with other attributes; a new key needs them exactly as stored`, { errors });
}
