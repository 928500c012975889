import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Human tasks: one row per entry into a state that declares a task. */
export class HumanTasks1764300000000 implements MigrationInterface {
  name = 'HumanTasks1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE human_task (
        id uuid PRIMARY KEY,
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        workflow_type text NOT NULL,
        state_id text NOT NULL,
        title text NOT NULL,
        candidate_groups text[] NOT NULL,
        decisions text[] NOT NULL,
        form jsonb,
        four_eyes boolean NOT NULL DEFAULT false,
        status text NOT NULL,
        claimed_by text,
        completed_by text,
        decision text,
        data jsonb,
        due_at timestamptz,
        overdue boolean NOT NULL DEFAULT false,
        escalated boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        close_reason text
      )`);
    await q.query(`CREATE INDEX human_task_open ON human_task (workflow_id, state_id) WHERE status = 'open'`);
    await q.query(`CREATE INDEX human_task_inbox ON human_task USING gin (candidate_groups) WHERE status = 'open'`);
    await q.query(`CREATE INDEX human_task_list ON human_task (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS human_task');
  }
}
