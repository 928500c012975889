import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every definition version ever deployed, with what it was: its statechart (states and
 * transitions), input and event schemas and hash, recorded when a process registering it
 * starts. An ended instance of a version no longer deployed keeps its diagram, report and
 * history; `lifecycle` says whether new starts may use it (`active`), not (`deprecated`:
 * instances run on), or whether it is gone for good (`retired`, only without live instances).
 */
export class DefinitionVersions1765500000000 implements MigrationInterface {
  name = 'DefinitionVersions1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE definition_version (
        type text NOT NULL,
        version int NOT NULL,
        hash text NOT NULL,
        description jsonb NOT NULL,
        lifecycle text NOT NULL DEFAULT 'active' CHECK (lifecycle IN ('active', 'deprecated', 'retired')),
        lifecycle_reason text,
        lifecycle_by text,
        lifecycle_at timestamptz,
        deployed_hash text NOT NULL,
        first_deployed_at timestamptz NOT NULL DEFAULT now(),
        last_deployed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (type, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE definition_version');
  }
}
