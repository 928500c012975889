import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per stay in a state that outlasted its SLA. The key is the stay (instance, state,
 * when it was entered), so however many workers notice it, the insert that wins is the one
 * that logs and counts it. Re-entering the state later is a new stay and may breach again.
 */
export class SlaBreach1764600000000 implements MigrationInterface {
  name = 'SlaBreach1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sla_breach (
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        workflow_type text NOT NULL,
        state text NOT NULL,
        entered_at timestamptz NOT NULL,
        max_duration_ms bigint NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workflow_id, state, entered_at)
      )`);
    await q.query('CREATE INDEX sla_breach_detected ON sla_breach (detected_at)');
    // The default privileges of the application-role migration cover the new table; granted
    // here too so the table never depends on which role created it.
    await q.query('GRANT SELECT, INSERT, DELETE ON sla_breach TO statera_app');
    // The readiness probe compares the migrations run with those the code knows: read-only.
    await q.query('GRANT SELECT ON schema_migrations TO statera_app');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('REVOKE SELECT ON schema_migrations FROM statera_app');
    await q.query('DROP TABLE IF EXISTS sla_breach');
  }
}
