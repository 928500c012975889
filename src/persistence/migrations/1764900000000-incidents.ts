import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incidents and the operator's tools.
 *
 * - `incident`: an input the engine could not apply for a reason that will not pass by itself
 *   (the machine threw, an activity's failure the machine does not handle). The input is kept
 *   with it for a retry; the instance keeps its state. `workflow_instance.open_incidents`
 *   counts the open ones so the step that locks the row knows without another query.
 * - `held_input`: inputs that arrived while the instance was paused or had an open incident,
 *   applied in arrival order once it is neither; `held_inputs` counts them, and while any is
 *   left a new input queues behind them, so order is kept across a resume.
 * - `activity.attempt_limit`: the attempt number an activity may reach; a retried incident
 *   raises it (a fresh budget), and the sweeper never re-sends past it.
 * - `batch_operation` / `batch_item`: an operator action over a query, item by item, each
 *   item's outcome written in the same transaction as the action on its workflow.
 * - `operator_approval`: an action held for a second operator (dual control).
 */
export class Incidents1764900000000 implements MigrationInterface {
  name = 'Incidents1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workflow_instance ADD COLUMN open_incidents int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE workflow_instance ADD COLUMN held_inputs int NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX workflow_instance_backlog ON workflow_instance (id) WHERE held_inputs > 0`);
    await q.query(`CREATE INDEX workflow_instance_incidents ON workflow_instance (tenant, created_at DESC, id DESC) WHERE open_incidents > 0`);
    await q.query(`ALTER TABLE activity ADD COLUMN attempt_limit int`);
    // Held rows are rare; these let a step's "scheduled or held" lookups by workflow stay on
    // indexes (written as two equalities, which PostgreSQL combines with a BitmapOr: an IN list
    // would not match the partial indexes and scan the table).
    await q.query(`CREATE INDEX activity_held ON activity (workflow_id) WHERE status = 'held'`);
    await q.query(`CREATE INDEX timer_held ON timer (workflow_id) WHERE status = 'held'`);
    await q.query(`
      CREATE TABLE incident (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        type text NOT NULL,
        definition_version int NOT NULL,
        kind text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'resolved')),
        error jsonb NOT NULL,
        input jsonb,
        state jsonb,
        activity_id uuid,
        retries int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resolved_by text,
        resolution text,
        resolve_reason text
      )`);
    await q.query(`CREATE INDEX incident_list ON incident (tenant, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX incident_open ON incident (workflow_id) WHERE status = 'open'`);
    await q.query(`CREATE INDEX incident_workflow ON incident (workflow_id, created_at)`);
    await q.query(`
      CREATE TABLE held_input (
        id bigserial PRIMARY KEY,
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        input jsonb NOT NULL,
        actor jsonb NOT NULL,
        held_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX held_input_workflow ON held_input (workflow_id, id)`);
    await q.query(`
      CREATE TABLE batch_operation (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        action text NOT NULL,
        filter jsonb NOT NULL,
        reason text NOT NULL,
        requested_by text NOT NULL,
        approval_id uuid,
        approved_by text,
        status text NOT NULL CHECK (status IN ('pending_approval', 'running', 'completed', 'cancelled')),
        total int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX batch_operation_list ON batch_operation (tenant, created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE batch_item (
        batch_id uuid NOT NULL REFERENCES batch_operation(id),
        seq int NOT NULL,
        workflow_id text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('pending', 'done', 'skipped', 'failed')),
        detail text,
        done_at timestamptz,
        leased_until timestamptz,
        PRIMARY KEY (batch_id, seq)
      )`);
    await q.query(`CREATE INDEX batch_item_pending ON batch_item (batch_id, seq) WHERE outcome = 'pending'`);
    await q.query(`
      CREATE TABLE operator_approval (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        action text NOT NULL,
        target jsonb NOT NULL,
        reason text NOT NULL,
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        decided_by text,
        decided_at timestamptz,
        decision_reason text,
        result jsonb
      )`);
    await q.query(`CREATE INDEX operator_approval_list ON operator_approval (tenant, requested_at DESC, id DESC)`);
    await q.query(`CREATE INDEX operator_approval_pending ON operator_approval (expires_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS operator_approval');
    await q.query('DROP TABLE IF EXISTS batch_item');
    await q.query('DROP TABLE IF EXISTS batch_operation');
    await q.query('DROP TABLE IF EXISTS held_input');
    await q.query('DROP TABLE IF EXISTS incident');
    await q.query('DROP INDEX IF EXISTS activity_held');
    await q.query('DROP INDEX IF EXISTS timer_held');
    await q.query('ALTER TABLE activity DROP COLUMN attempt_limit');
    await q.query('DROP INDEX IF EXISTS workflow_instance_incidents');
    await q.query('DROP INDEX IF EXISTS workflow_instance_backlog');
    await q.query('ALTER TABLE workflow_instance DROP COLUMN held_inputs');
    await q.query('ALTER TABLE workflow_instance DROP COLUMN open_incidents');
  }
}
