import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schedules (recurring starts) and what each fire did. `next_fire_at` is the nominal time of the
 * next fire plus its jitter; a process takes due schedules with SKIP LOCKED, so one fire is made
 * by one process, and the workflow id of a fire is derived from its nominal time, so a fire made
 * twice (a crash between the start and the row's update) is still one workflow.
 */
export class Schedules1765700000000 implements MigrationInterface {
  name = 'Schedules1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schedule (
        tenant text NOT NULL,
        id text NOT NULL,
        type text NOT NULL,
        version int,
        input jsonb NOT NULL,
        spec jsonb NOT NULL,
        timezone text NOT NULL,
        overlap text NOT NULL CHECK (overlap IN ('skip', 'buffer-one', 'allow', 'cancel-other')),
        catchup_window_ms bigint NOT NULL,
        jitter_ms int NOT NULL DEFAULT 0,
        paused boolean NOT NULL DEFAULT false,
        note text,
        anchor_at timestamptz NOT NULL,
        last_nominal_at timestamptz,
        next_fire_at timestamptz,
        buffered_nominal_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, id)
      )`);
    await q.query(`CREATE INDEX schedule_due ON schedule (next_fire_at) WHERE NOT paused`);
    await q.query(`
      CREATE TABLE schedule_run (
        tenant text NOT NULL,
        schedule_id text NOT NULL,
        nominal_at timestamptz NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('started', 'skipped', 'buffered')),
        workflow_id text,
        reason text,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, schedule_id, nominal_at, outcome),
        FOREIGN KEY (tenant, schedule_id) REFERENCES schedule (tenant, id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE schedule_run');
    await q.query('DROP TABLE schedule');
  }
}
