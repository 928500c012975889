import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each active state was entered (dotted path → ISO time), kept with the instance row:
 * the time spent per state and the SLA checks read it without scanning the history.
 */
export class StateEntered1764500000000 implements MigrationInterface {
  name = 'StateEntered1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workflow_instance ADD COLUMN state_entered jsonb NOT NULL DEFAULT '{}'`);
    // Instances that predate the column: their states count from the last update, the best known bound.
    await q.query(`
      UPDATE workflow_instance SET state_entered = (
        SELECT coalesce(jsonb_object_agg(p, to_jsonb(updated_at)), '{}') FROM unnest(state_paths) AS p)
      WHERE status IN ('running', 'waiting')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE workflow_instance DROP COLUMN state_entered');
  }
}
