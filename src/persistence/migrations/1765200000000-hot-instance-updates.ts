import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A transition rewrites its instance's row; when no indexed column changes and the page has
 * room, PostgreSQL updates it in place (a HOT update) and writes no index entry. Every
 * transition changes `state_paths`, and its GIN index made every update write all ten indexes
 * again. No query uses that index: the state filter is `$1 = ANY(state_paths)`, which a GIN
 * index on an array cannot serve, and it runs with the tenant and type filters that the
 * B-tree indexes do serve. Pages are also filled to 80 % from here, so the new version of a
 * row finds room on its own page (rows already written keep their pages until rewritten).
 */
export class HotInstanceUpdates1765200000000 implements MigrationInterface {
  name = 'HotInstanceUpdates1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS workflow_instance_state');
    await q.query('ALTER TABLE workflow_instance SET (fillfactor = 80)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE workflow_instance RESET (fillfactor)');
    await q.query('CREATE INDEX workflow_instance_state ON workflow_instance USING gin (state_paths)');
  }
}
