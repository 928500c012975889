import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The business facts a task declares (`meta.task.summary`), read from the context when it opened: `[{label, path, value}]`. */
export class TaskSummary1765400000000 implements MigrationInterface {
  name = 'TaskSummary1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE human_task ADD COLUMN summary jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE human_task DROP COLUMN summary');
  }
}
