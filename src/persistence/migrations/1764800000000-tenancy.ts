import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenancy. A principal's id is unique within its tenant, so a tenant admin can name its people
 * without learning which names another tenant took; keys refer to (tenant, principal). The
 * roles gain `platform-admin`. Human tasks carry their workflow's tenant for the inbox.
 * Workflows already stored belong to `default`: their ids were stored unqualified, which is
 * the `default` tenant's form (src/engine/tenancy.ts), so their hash chains stay valid.
 *
 * The security event log records refusals that belong to no workflow of the caller's tenant
 * (an unknown key, another tenant's id, a role refused on a tenant-wide route): append-only and
 * hash-chained like the history.
 */
export class Tenancy1764800000000 implements MigrationInterface {
  name = 'Tenancy1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE workflow_instance SET tenant = 'default' WHERE tenant <> 'default'`);
    // Every list is one tenant's now: the list indexes lead with the tenant. They replace the
    // old ones rather than join them, so a step's row update maintains no more indexes than before.
    await q.query(`DROP INDEX workflow_instance_list`);
    await q.query(`DROP INDEX workflow_instance_type_status`);
    await q.query(`CREATE INDEX workflow_instance_list ON workflow_instance (tenant, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX workflow_instance_type_status ON workflow_instance (tenant, type, status, created_at DESC)`);

    await q.query(`ALTER TABLE principal DROP CONSTRAINT principal_roles_check`);
    await q.query(`ALTER TABLE principal ADD CONSTRAINT principal_roles_check CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['operator', 'reviewer', 'auditor', 'admin', 'platform-admin'])`);
    await q.query(`ALTER TABLE api_key ADD COLUMN principal_tenant text`);
    await q.query(`UPDATE api_key k SET principal_tenant = p.tenant FROM principal p WHERE p.id = k.principal_id`);
    await q.query(`ALTER TABLE api_key ALTER COLUMN principal_tenant SET NOT NULL`);
    await q.query(`ALTER TABLE api_key DROP CONSTRAINT api_key_principal_id_fkey`);
    await q.query(`ALTER TABLE principal DROP CONSTRAINT principal_pkey`);
    await q.query(`ALTER TABLE principal ADD PRIMARY KEY (tenant, id)`);
    await q.query(`ALTER TABLE api_key ADD CONSTRAINT api_key_principal_fkey FOREIGN KEY (principal_tenant, principal_id) REFERENCES principal (tenant, id)`);
    await q.query(`DROP INDEX api_key_principal`);
    await q.query(`CREATE INDEX api_key_principal ON api_key (principal_tenant, principal_id)`);

    await q.query(`ALTER TABLE human_task ADD COLUMN tenant text NOT NULL DEFAULT 'default'`);
    await q.query(`UPDATE human_task t SET tenant = w.tenant FROM workflow_instance w WHERE w.id = t.workflow_id AND t.tenant <> w.tenant`);
    await q.query(`DROP INDEX human_task_list`);
    await q.query(`CREATE INDEX human_task_list ON human_task (tenant, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE security_event (
        seq bigint PRIMARY KEY,
        recorded_at timestamptz NOT NULL,
        tenant text,
        principal text,
        key_prefix text,
        client_address text,
        request_id text,
        method text NOT NULL,
        route text NOT NULL,
        status int NOT NULL,
        code text NOT NULL,
        reason text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      )`);
    await q.query(`CREATE INDEX security_event_tenant ON security_event (tenant, seq)`);
    await q.query(`
      CREATE TRIGGER security_event_no_rewrite BEFORE UPDATE OR DELETE ON security_event
      FOR EACH ROW EXECUTE FUNCTION workflow_history_append_only()`);
    await q.query(`
      CREATE TRIGGER security_event_no_truncate BEFORE TRUNCATE ON security_event
      FOR EACH STATEMENT EXECUTE FUNCTION workflow_history_append_only()`);
    await q.query('GRANT SELECT, INSERT ON security_event TO statera_app');
    await q.query('REVOKE UPDATE, DELETE, TRUNCATE ON security_event FROM statera_app');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS security_event');
    await q.query('DROP INDEX IF EXISTS human_task_list');
    await q.query('CREATE INDEX human_task_list ON human_task (created_at DESC, id DESC)');
    await q.query('ALTER TABLE human_task DROP COLUMN tenant');
    await q.query('ALTER TABLE api_key DROP CONSTRAINT api_key_principal_fkey');
    await q.query('ALTER TABLE principal DROP CONSTRAINT principal_pkey');
    await q.query('ALTER TABLE principal ADD PRIMARY KEY (id)');
    await q.query('ALTER TABLE api_key ADD CONSTRAINT api_key_principal_id_fkey FOREIGN KEY (principal_id) REFERENCES principal (id)');
    await q.query('ALTER TABLE api_key DROP COLUMN principal_tenant');
    await q.query('DROP INDEX IF EXISTS workflow_instance_list');
    await q.query('DROP INDEX IF EXISTS workflow_instance_type_status');
    await q.query('CREATE INDEX workflow_instance_list ON workflow_instance (created_at DESC, id DESC)');
    await q.query('CREATE INDEX workflow_instance_type_status ON workflow_instance (type, status, created_at DESC)');
  }
}
