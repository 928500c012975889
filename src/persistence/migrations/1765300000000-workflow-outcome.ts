import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The business outcome of an ended workflow (success, rejection, failure, cancelled), beside
 * its technical status, written by the transaction that ends it. Rows that ended before this
 * column existed get the outcome their status implies; a rejection among them reads `success`,
 * since the final state's declaration was not kept.
 */
export class WorkflowOutcome1765300000000 implements MigrationInterface {
  name = 'WorkflowOutcome1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workflow_instance ADD COLUMN outcome text CHECK (outcome IN ('success', 'rejection', 'failure', 'cancelled'))`);
    await q.query(`UPDATE workflow_instance SET outcome = CASE status WHEN 'completed' THEN 'success' WHEN 'cancelled' THEN 'cancelled' ELSE 'failure' END
      WHERE status IN ('completed', 'failed', 'cancelled', 'terminated')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE workflow_instance DROP COLUMN outcome');
  }
}
