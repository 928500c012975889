import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An activity run eagerly by the process that scheduled it has no BullMQ job: its row, with a
 * lease until when that process answers for it, is the durable record. The sweeper leaves a
 * leased row alone and sends a lapsed one through BullMQ, as it does a row whose job is lost.
 */
export class ActivityLease1765100000000 implements MigrationInterface {
  name = 'ActivityLease1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE activity ADD COLUMN lease_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE activity DROP COLUMN lease_until');
  }
}
