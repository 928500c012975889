import type { DataSource } from 'typeorm';
import { DomainError } from '../engine/errors/domain.error';
import { GENESIS_HASH, hashRecord, recordFromRow } from '../engine/store/history';
import { query } from '../engine/store/sql';
import { publicId } from '../engine/store/tenancy';

export type ChainFailureReason = 'hash mismatch' | 'broken link' | 'sequence gap' | 'head mismatch';

export interface ChainFailure {
  workflowId: string;
  seq: number;
  reason: ChainFailureReason;
  expected?: string;
  found?: string;
}

export interface VerifyReport {
  verified: boolean;
  /** Instances checked (every instance in scope, with or without history). */
  instances: number;
  /** History records read and rehashed. */
  records: number;
  firstFailure?: ChainFailure;
}

export interface VerifyOptions {
  /** A stored workflow id (src/engine/tenancy.ts). */
  workflowId?: string;
  /** Only this tenant's instances; every tenant's when absent (the shell's `npm run audit:verify`). */
  tenant?: string;
  batchSize?: number;
}

export const DEFAULT_BATCH_SIZE = 1000;

/** One instance's chain as it is being walked. */
interface Cursor {
  workflowId: string;
  lastSeq: number;
  lastHash: string;
  /** The instance row's head, read in the same statement as the last record seen. */
  headSeq: number | null;
  headHash: string | null;
  failed: boolean;
}

const before = (a: ChainFailure, b: ChainFailure) => (a.workflowId < b.workflowId ? true : a.workflowId > b.workflowId ? false : a.seq < b.seq);

/**
 * Walks every instance's history chain (or one instance's) in (workflow_id, seq) order, in
 * keyset batches: each record rehashes to its stored hash, links to the previous record's hash
 * (the genesis hash for seq 1), seqs run 1, 2, 3… without gaps, and the last record is the
 * instance row's history_seq/history_head. Reports the first failure in (workflow_id, seq) order.
 *
 * Each batch is one statement (one snapshot) reading records with their instance's head, and an
 * instance's records and head are committed together, so a verification running alongside the
 * engine sees consistent chains without holding a transaction open for the whole scan.
 */
export async function verifyChains(db: DataSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const only = options.workflowId ?? null;
  const tenant = options.tenant ?? null;
  const [{ count }] = await query<{ count: string }>(
    db,
    'SELECT count(*) AS count FROM workflow_instance WHERE ($1::text IS NULL OR id = $1) AND ($2::text IS NULL OR tenant = $2)',
    [only, tenant],
  );
  const instances = Number(count);
  if (only !== null && instances === 0) throw new DomainError('workflow_not_found', `no workflow ${publicId(only)}`, { workflowId: publicId(only) });

  let firstFailure: ChainFailure | undefined;
  const fail = (failure: ChainFailure) => {
    if (!firstFailure || before(failure, firstFailure)) firstFailure = failure;
  };

  // Instances whose row says they have history but none is left (every record deleted).
  const [bare] = await query(
    db,
    `SELECT i.id, i.history_seq, i.history_head FROM workflow_instance i
      WHERE i.history_seq > 0 AND ($1::text IS NULL OR i.id = $1) AND ($2::text IS NULL OR i.tenant = $2)
        AND NOT EXISTS (SELECT 1 FROM workflow_history h WHERE h.workflow_id = i.id)
      ORDER BY i.id LIMIT 1`,
    [only, tenant],
  );
  if (bare) fail({ workflowId: bare.id, seq: 1, reason: 'head mismatch', expected: `${bare.history_seq}/${bare.history_head}`, found: `0/${GENESIS_HASH}` });

  let records = 0;
  let current: Cursor | undefined;
  const finish = (c: Cursor) => {
    if (c.failed) return;
    if (c.headSeq === null || c.headHash === null) {
      fail({ workflowId: c.workflowId, seq: c.lastSeq, reason: 'head mismatch', expected: 'an instance row', found: `${c.lastSeq}/${c.lastHash}` });
    } else if (c.headSeq !== c.lastSeq || c.headHash !== c.lastHash) {
      // A deleted tail shows as the first missing seq; anything else at the last record.
      const seq = c.lastSeq < c.headSeq ? c.lastSeq + 1 : c.lastSeq;
      fail({ workflowId: c.workflowId, seq, reason: 'head mismatch', expected: `${c.headSeq}/${c.headHash}`, found: `${c.lastSeq}/${c.lastHash}` });
    }
  };

  let after: [string, number] = ['', 0];
  for (;;) {
    const rows = await query(
      db,
      `SELECT h.*, i.history_seq AS instance_history_seq, i.history_head AS instance_history_head
         FROM workflow_history h LEFT JOIN workflow_instance i ON i.id = h.workflow_id
        WHERE (h.workflow_id, h.seq) > ($1, $2) AND ($3::text IS NULL OR h.workflow_id = $3) AND ($5::text IS NULL OR i.tenant = $5)
        ORDER BY h.workflow_id, h.seq
        LIMIT $4`,
      [after[0], after[1], only, batchSize, tenant],
    );
    for (const row of rows) {
      records++;
      if (!current || current.workflowId !== row.workflow_id) {
        if (current) finish(current);
        current = { workflowId: row.workflow_id, lastSeq: 0, lastHash: GENESIS_HASH, headSeq: null, headHash: null, failed: false };
      }
      const c = current;
      c.headSeq = row.instance_history_seq ?? null;
      c.headHash = row.instance_history_head ?? null;
      if (!c.failed) {
        const { hash, ...hashed } = recordFromRow(row);
        const expectedSeq = c.lastSeq + 1;
        if (hashed.seq !== expectedSeq) {
          fail({ workflowId: c.workflowId, seq: expectedSeq, reason: 'sequence gap', expected: String(expectedSeq), found: String(hashed.seq) });
          c.failed = true;
        } else if (hashed.prevHash !== c.lastHash) {
          fail({ workflowId: c.workflowId, seq: hashed.seq, reason: 'broken link', expected: c.lastHash, found: hashed.prevHash });
          c.failed = true;
        } else {
          const recomputed = hashRecord(hashed);
          if (recomputed !== hash) {
            fail({ workflowId: c.workflowId, seq: hashed.seq, reason: 'hash mismatch', expected: recomputed, found: hash });
            c.failed = true;
          }
        }
      }
      c.lastSeq = row.seq;
      c.lastHash = row.hash;
    }
    if (rows.length < batchSize) break;
    const last = rows[rows.length - 1];
    after = [last.workflow_id, last.seq];
  }
  if (current) finish(current);

  return { verified: firstFailure === undefined, instances, records, ...(firstFailure ? { firstFailure } : {}) };
}
