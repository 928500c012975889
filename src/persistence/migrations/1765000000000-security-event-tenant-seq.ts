import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The security event log is one hash chain for the whole deployment, so its `seq` counts every
 * tenant's refusals: shown to a tenant's auditor, the gaps between its own events' numbers would
 * say how many refusals the others had. Each event also gets an ordinal within its tenant, which
 * is what a tenant's view shows and pages by. The chain (seq, prev_hash, hash) is unchanged.
 */
export class SecurityEventTenantSeq1765000000000 implements MigrationInterface {
  name = 'SecurityEventTenantSeq1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE security_event ADD COLUMN tenant_seq bigint`);
    // The log refuses updates, its owner's too: this one fills a column outside the hashed record.
    await q.query(`ALTER TABLE security_event DISABLE TRIGGER security_event_no_rewrite`);
    await q.query(`
      UPDATE security_event e SET tenant_seq = n.ordinal
        FROM (SELECT seq, row_number() OVER (PARTITION BY tenant ORDER BY seq) AS ordinal FROM security_event WHERE tenant IS NOT NULL) n
       WHERE e.seq = n.seq`);
    await q.query(`ALTER TABLE security_event ENABLE TRIGGER security_event_no_rewrite`);
    await q.query(`CREATE UNIQUE INDEX security_event_tenant_seq ON security_event (tenant, tenant_seq) WHERE tenant IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS security_event_tenant_seq');
    await q.query('ALTER TABLE security_event DROP COLUMN tenant_seq');
  }
}
