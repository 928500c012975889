import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The engine's tables. History is append-only: the database itself refuses rewrites. */
export class InitialSchema1764100000000 implements MigrationInterface {
  name = 'InitialSchema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE workflow_instance (
        id text PRIMARY KEY,
        tenant text NOT NULL DEFAULT 'default',
        type text NOT NULL,
        definition_version int NOT NULL,
        business_key text,
        status text NOT NULL,
        state_value jsonb NOT NULL,
        state_paths text[] NOT NULL,
        snapshot jsonb NOT NULL,
        version int NOT NULL,
        input jsonb NOT NULL,
        output jsonb,
        error jsonb,
        parent_id text REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        parent_invocation_id uuid,
        start_fingerprint text NOT NULL,
        cancel_requested boolean NOT NULL DEFAULT false,
        counters jsonb NOT NULL DEFAULT '{}',
        history_seq int NOT NULL DEFAULT 0,
        history_head text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz
      )`);
    await q.query(`CREATE INDEX workflow_instance_list ON workflow_instance (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX workflow_instance_type_status ON workflow_instance (type, status, created_at DESC)`);
    await q.query(`CREATE INDEX workflow_instance_status ON workflow_instance (status, created_at DESC)`);
    await q.query(`CREATE INDEX workflow_instance_business_key ON workflow_instance (business_key) WHERE business_key IS NOT NULL`);
    await q.query(`CREATE INDEX workflow_instance_parent ON workflow_instance (parent_id) WHERE parent_id IS NOT NULL`);
    await q.query(`CREATE INDEX workflow_instance_state ON workflow_instance USING gin (state_paths)`);

    await q.query(`
      CREATE TABLE workflow_history (
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        seq int NOT NULL,
        recorded_at timestamptz NOT NULL,
        kind text NOT NULL,
        actor text NOT NULL,
        origin jsonb,
        event jsonb,
        state_before jsonb,
        state_after jsonb,
        outcome text NOT NULL,
        reason text,
        idempotency_key text,
        data jsonb,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (workflow_id, seq)
      )`);
    await q.query(`CREATE INDEX workflow_history_time ON workflow_history (recorded_at)`);
    await q.query(`
      CREATE FUNCTION workflow_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'workflow_history is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER workflow_history_no_rewrite BEFORE UPDATE OR DELETE ON workflow_history
      FOR EACH ROW EXECUTE FUNCTION workflow_history_append_only()`);
    await q.query(`
      CREATE TRIGGER workflow_history_no_truncate BEFORE TRUNCATE ON workflow_history
      FOR EACH STATEMENT EXECUTE FUNCTION workflow_history_append_only()`);

    // Activities and child workflows: one row per invocation, so a late result from a
    // stopped invocation can be told apart from the current one with the same invoke id.
    await q.query(`
      CREATE TABLE activity (
        id uuid PRIMARY KEY,
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        child_id text NOT NULL,
        kind text NOT NULL,
        src text NOT NULL,
        seq int NOT NULL,
        input jsonb,
        status text NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        idempotency_key text NOT NULL,
        child_workflow_id text,
        last_error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX activity_open ON activity (workflow_id, child_id) WHERE status = 'scheduled'`);
    await q.query(`CREATE INDEX activity_sweep ON activity (updated_at) WHERE status = 'scheduled'`);

    await q.query(`
      CREATE TABLE timer (
        id uuid PRIMARY KEY,
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        send_id text NOT NULL,
        event jsonb NOT NULL,
        due_at timestamptz NOT NULL,
        status text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        fired_at timestamptz
      )`);
    await q.query(`CREATE INDEX timer_open ON timer (workflow_id, send_id) WHERE status = 'scheduled'`);
    await q.query(`CREATE INDEX timer_due ON timer (due_at) WHERE status = 'scheduled'`);

    await q.query(`
      CREATE TABLE effect (
        id uuid PRIMARY KEY,
        workflow_id text NOT NULL REFERENCES workflow_instance(id) DEFERRABLE INITIALLY DEFERRED,
        name text NOT NULL,
        params jsonb NOT NULL,
        idempotency_key text NOT NULL UNIQUE,
        status text NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        last_error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz
      )`);
    await q.query(`CREATE INDEX effect_open ON effect (created_at) WHERE status = 'pending'`);

    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        workflow_id text NOT NULL,
        queue text NOT NULL,
        op text NOT NULL,
        job_id text NOT NULL,
        payload jsonb NOT NULL,
        run_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_pending ON outbox (id) WHERE dispatched_at IS NULL`);

    await q.query(`
      CREATE TABLE idempotency_key (
        scope text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        workflow_id text NOT NULL,
        response_status int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX idempotency_key_expiry ON idempotency_key (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['idempotency_key', 'outbox', 'effect', 'timer', 'activity', 'workflow_history', 'workflow_instance']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS workflow_history_append_only()`);
  }
}
