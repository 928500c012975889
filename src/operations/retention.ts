import type { DataSource } from 'typeorm';
import type { DefinitionRegistry } from '../engine/definition/registry';
import { inTransaction } from '../engine/store/sql';

export interface RetentionOptions {
  /** RETENTION_ENDED_DAYS: for definitions that say nothing; undefined keeps everything. */
  defaultDays?: number;
  /** How often a process tries (one at a time in the deployment does the work). */
  intervalMs: number;
  /** Instances per transaction. */
  batch?: number;
}

const LOCK = 'statera.retention';

/**
 * Retention of ended instances: after its definition's `retention.endedKeepDays` (else
 * RETENTION_ENDED_DAYS), an ended instance's snapshot (its context), input and output are
 * emptied and its activity, timer, effect and outbox rows deleted, in bounded batches; its
 * history records, hashes and chain head stay, so the audit trail still verifies. One process
 * of the deployment at a time does it (a transaction-scoped advisory lock); the others skip.
 */
export class Retention {
  private lastRun = 0;

  constructor(
    private readonly db: DataSource,
    private readonly registry: DefinitionRegistry,
    private readonly options: RetentionOptions,
  ) {}

  /** A pass when the interval has passed since the last; answers how many instances were pruned. */
  async runIfDue(now = Date.now()): Promise<number> {
    if (now - this.lastRun < this.options.intervalMs) return 0;
    this.lastRun = now;
    let total = 0;
    for (let n = 1; n > 0; total += n) n = await this.runOnce();
    return total;
  }

  /** One batch of each definition's due instances, under the deployment-wide lock; 0 when another process holds it or nothing is due. */
  async runOnce(): Promise<number> {
    const limit = this.options.batch ?? 500;
    return inTransaction(this.db, async (tx) => {
      const [{ locked }] = await tx.rows<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked', [LOCK]);
      if (!locked) return 0;
      let pruned = 0;
      for (const d of this.registry.all()) {
        const days = d.retention?.endedKeepDays ?? this.options.defaultDays;
        if (days === undefined) continue;
        const rows = await tx.rows<{ id: string }>(
          `SELECT id FROM workflow_instance
            WHERE type = $1 AND definition_version = $2 AND ended_at IS NOT NULL AND pruned_at IS NULL AND ended_at < now() - make_interval(secs => $3)
            ORDER BY ended_at LIMIT $4 FOR UPDATE SKIP LOCKED`,
          [d.type, d.version, days * 86_400, limit - pruned],
        );
        if (!rows.length) continue;
        const ids = rows.map((r) => r.id);
        for (const table of ['activity', 'timer', 'effect', 'outbox']) await tx.rows(`DELETE FROM ${table} WHERE workflow_id = ANY($1::text[])`, [ids]);
        await tx.rows(`UPDATE workflow_instance SET snapshot = '{}'::jsonb, input = '{}'::jsonb, output = NULL, pruned_at = now() WHERE id = ANY($1::text[])`, [ids]);
        pruned += ids.length;
        if (pruned >= limit) break;
      }
      return pruned;
    });
  }
}
