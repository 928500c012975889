import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { DataSource } from 'typeorm';
import { GENESIS_HASH } from '../engine/store/history';
import { inTransaction, query } from '../engine/store/sql';

/** Serialises appends to the one chain of the log. */
const APPEND_LOCK = 7265823;

/**
 * A refusal that belongs to no workflow of the caller's tenant: an unknown or revoked key,
 * another tenant's id (which answers exactly like a missing one), a role refused on a route
 * that is not about one workflow. PCI DSS 10.2.1.2 (administrative actions) and 10.2.1.4
 * (invalid logical access attempts).
 */
export interface SecurityEventInput {
  /** The caller's tenant; null when the key was not recognised. */
  tenant: string | null;
  /** `principal:<id>`, or null for an unknown key. */
  principal: string | null;
  /** The first 8 characters of the presented key, never more. */
  keyPrefix: string | null;
  clientAddress: string | null;
  requestId: string | null;
  method: string;
  /** The path, without the query string. */
  route: string;
  status: number;
  code: string;
  reason: string;
}

export interface SecurityEvent extends SecurityEventInput {
  seq: number;
  recordedAt: string;
  prevHash: string;
  hash: string;
}

export interface SecurityEventFilter {
  /** One tenant's events; every event (tenant-less ones too) when null. */
  tenant: string | null;
  /**
   * A tenant's own view: `seq` is the event's ordinal within the tenant (the cursor pages by
   * it) and the deployment-wide chain (`prevHash`, `hash`) is left out, so nothing in it counts
   * another tenant's events. A platform admin sees the chain.
   */
  tenantView?: boolean;
  from?: string;
  to?: string;
  code?: string;
  limit: number;
  /** The seq of the last event seen; the list runs oldest first. */
  after?: number;
}

type Hashed = Omit<SecurityEvent, 'hash'>;

function hashOf(record: Hashed): string {
  return createHash('sha256').update(record.prevHash).update(canonicalize(record) ?? '').digest('hex');
}

const fromRow = (r: any): SecurityEvent => ({
  seq: Number(r.seq),
  recordedAt: new Date(r.recorded_at).toISOString(),
  tenant: r.tenant,
  principal: r.principal,
  keyPrefix: r.key_prefix,
  clientAddress: r.client_address,
  requestId: r.request_id,
  method: r.method,
  route: r.route,
  status: r.status,
  code: r.code,
  reason: r.reason,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** A tenant's view of one of its events: its ordinal within the tenant, no deployment-wide chain. */
export type TenantSecurityEvent = Omit<SecurityEvent, 'prevHash' | 'hash'>;

function toTenantView(r: any): TenantSecurityEvent {
  const { prevHash: _p, hash: _h, ...event } = fromRow(r);
  return { ...event, seq: Number(r.tenant_seq) };
}

/** The append-only, hash-chained security event log (`security_event`; the database refuses rewrites). */
export class SecurityEventLog {
  constructor(private readonly db: DataSource) {}

  async record(input: SecurityEventInput): Promise<SecurityEvent> {
    return inTransaction(this.db, async (tx) => {
      await tx.rows('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      const head = await tx.one<{ seq: string; hash: string }>('SELECT seq, hash FROM security_event ORDER BY seq DESC LIMIT 1');
      const record: Hashed = {
        ...input,
        reason: input.reason.slice(0, 1000),
        route: input.route.slice(0, 1000),
        seq: Number(head?.seq ?? 0) + 1,
        recordedAt: new Date().toISOString(),
        prevHash: head?.hash ?? GENESIS_HASH,
      };
      const event = { ...record, hash: hashOf(record) };
      await tx.rows(
        `INSERT INTO security_event (seq, recorded_at, tenant, principal, key_prefix, client_address, request_id, method, route, status, code, reason, prev_hash, hash, tenant_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                 CASE WHEN $3::text IS NULL THEN NULL ELSE (SELECT coalesce(max(tenant_seq), 0) + 1 FROM security_event WHERE tenant = $3) END)`,
        [event.seq, event.recordedAt, event.tenant, event.principal, event.keyPrefix, event.clientAddress, event.requestId, event.method, event.route, event.status, event.code, event.reason, event.prevHash, event.hash],
      );
      return event;
    });
  }

  async list(f: SecurityEventFilter): Promise<{ items: (SecurityEvent | TenantSecurityEvent)[]; nextCursor: string | null }> {
    const tenantView = f.tenantView === true && f.tenant !== null;
    const order = tenantView ? 'tenant_seq' : 'seq';
    const rows = await query(
      this.db,
      `SELECT * FROM security_event
        WHERE ($1::text IS NULL OR tenant = $1) AND ($2::timestamptz IS NULL OR recorded_at >= $2) AND ($3::timestamptz IS NULL OR recorded_at < $3)
          AND ($4::text IS NULL OR code = $4) AND ${order} > $5
        ORDER BY ${order} LIMIT $6`,
      [f.tenant, f.from ?? null, f.to ?? null, f.code ?? null, f.after ?? 0, f.limit + 1],
    );
    const items = rows.slice(0, f.limit).map((r) => (tenantView ? toTenantView(r) : fromRow(r)));
    return { items, nextCursor: rows.length > f.limit ? String(items[items.length - 1]!.seq) : null };
  }

  /** Rehashes the whole chain in seq order: the first record that is edited, missing or out of place. */
  async verify(batchSize = 1000): Promise<{ verified: boolean; records: number; firstFailure?: { seq: number; reason: 'hash mismatch' | 'broken link' | 'sequence gap' } }> {
    let records = 0;
    let prev = GENESIS_HASH;
    let after = 0;
    for (;;) {
      const rows = await query(this.db, 'SELECT * FROM security_event WHERE seq > $1 ORDER BY seq LIMIT $2', [after, batchSize]);
      for (const row of rows) {
        const { hash, ...hashed } = fromRow(row);
        records++;
        if (hashed.seq !== after + 1) return { verified: false, records, firstFailure: { seq: after + 1, reason: 'sequence gap' } };
        if (hashed.prevHash !== prev) return { verified: false, records, firstFailure: { seq: hashed.seq, reason: 'broken link' } };
        if (hashOf(hashed) !== hash) return { verified: false, records, firstFailure: { seq: hashed.seq, reason: 'hash mismatch' } };
        prev = hash;
        after = hashed.seq;
      }
      if (rows.length < batchSize) return { verified: true, records };
    }
  }
}
