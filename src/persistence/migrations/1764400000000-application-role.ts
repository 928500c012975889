import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The application connects as `statera_app`, which may read and write the engine's tables
 * but only insert and read history: a bug or a leaked application credential cannot
 * rewrite it. Migrations run as the schema owner. The role is cluster-wide, so creating it
 * tolerates another database's migration having just done so.
 */
export class ApplicationRole1764400000000 implements MigrationInterface {
  name = 'ApplicationRole1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        CREATE ROLE statera_app LOGIN;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    const [{ db }] = await q.query('SELECT current_database() AS db');
    await q.query(`GRANT CONNECT ON DATABASE "${db}" TO statera_app`);
    await q.query('GRANT USAGE ON SCHEMA public TO statera_app');
    await q.query('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO statera_app');
    await q.query('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO statera_app');
    await q.query('REVOKE UPDATE, DELETE, TRUNCATE ON workflow_history FROM statera_app');
    await q.query('REVOKE ALL ON schema_migrations FROM statera_app');
    // Tables of later migrations: the same grants, unless a migration narrows them as above.
    await q.query('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO statera_app');
    await q.query('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO statera_app');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM statera_app');
    await q.query('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM statera_app');
    await q.query('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM statera_app');
    await q.query('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM statera_app');
  }
}
