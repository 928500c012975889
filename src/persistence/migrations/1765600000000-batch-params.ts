import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What a batch action needs beyond its filter and reason: a migration's target version, state mapping and context patch. */
export class BatchParams1765600000000 implements MigrationInterface {
  name = 'BatchParams1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE batch_operation ADD COLUMN params jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE batch_operation DROP COLUMN params');
  }
}
