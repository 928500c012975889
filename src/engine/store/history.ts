import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

/** Who or what caused a recorded fact, and where the request came from. */
export interface Actor {
  actor: string;
  origin?: { requestId?: string; clientAddress?: string } | null;
}

export const SYSTEM: Actor = { actor: 'system:engine' };

export type Outcome = 'accepted' | 'rejected' | 'discarded' | 'ok' | 'failed' | 'held';

/** One recorded fact of an instance, as hashed: every field but the hash itself. */
export interface HistoryRecord {
  workflowId: string;
  seq: number;
  recordedAt: string;
  kind: string;
  actor: string;
  origin: Actor['origin'] | null;
  event: unknown;
  stateBefore: unknown;
  stateAfter: unknown;
  outcome: Outcome;
  reason: string | null;
  idempotencyKey: string | null;
  data: unknown;
  prevHash: string;
}

export interface HashedRecord extends HistoryRecord {
  hash: string;
}

export type NewRecord = Pick<HistoryRecord, 'kind' | 'outcome'> &
  Partial<Pick<HistoryRecord, 'event' | 'stateBefore' | 'stateAfter' | 'reason' | 'idempotencyKey' | 'data'>>;

/** hash = SHA-256(prev_hash ‖ canonical JSON (RFC 8785) of the record). */
export function hashRecord(record: HistoryRecord): string {
  return createHash('sha256')
    .update(record.prevHash)
    .update(canonicalize(record) ?? '')
    .digest('hex');
}

/** Appends records to one instance's chain inside the transaction that holds its row lock. */
export class HistoryChain {
  readonly records: HashedRecord[] = [];

  constructor(
    private readonly workflowId: string,
    private seq: number,
    private head: string,
    private readonly actor: Actor,
  ) {}

  append(entry: NewRecord, actor: Actor = this.actor): HashedRecord {
    // What is hashed must be exactly what PostgreSQL stores: the JSON form of each value
    // (NaN and Infinity become null, functions and undefined members disappear).
    const record: HistoryRecord = {
      workflowId: this.workflowId,
      seq: ++this.seq,
      recordedAt: new Date().toISOString(),
      kind: entry.kind,
      actor: actor.actor,
      origin: asJson(actor.origin) as HistoryRecord['origin'],
      event: asJson(entry.event),
      stateBefore: asJson(entry.stateBefore),
      stateAfter: asJson(entry.stateAfter),
      outcome: entry.outcome,
      reason: entry.reason ?? null,
      idempotencyKey: entry.idempotencyKey ?? null,
      data: asJson(entry.data),
      prevHash: this.head,
    };
    const hashed = { ...record, hash: hashRecord(record) };
    this.head = hashed.hash;
    this.records.push(hashed);
    return hashed;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get lastHash(): string {
    return this.head;
  }
}

/** The value as it reads back from a jsonb column. */
export function asJson(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

/** A `workflow_history` row read back as the record that was hashed, for verifying the chain. */
export function recordFromRow(row: Record<string, any>): HashedRecord {
  return {
    workflowId: row.workflow_id,
    seq: row.seq,
    recordedAt: new Date(row.recorded_at).toISOString(),
    kind: row.kind,
    actor: row.actor,
    origin: row.origin ?? null,
    event: row.event ?? null,
    stateBefore: row.state_before ?? null,
    stateAfter: row.state_after ?? null,
    outcome: row.outcome,
    reason: row.reason ?? null,
    idempotencyKey: row.idempotency_key ?? null,
    data: row.data ?? null,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
