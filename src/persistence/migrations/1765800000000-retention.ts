import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When retention emptied an ended instance's snapshot, input and output; its history, hashes and head stay. */
export class Retention1765800000000 implements MigrationInterface {
  name = 'Retention1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE workflow_instance ADD COLUMN pruned_at timestamptz');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE workflow_instance DROP COLUMN pruned_at');
  }
}
