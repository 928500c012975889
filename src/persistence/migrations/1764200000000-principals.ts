import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may call the API. Keys are 256-bit random, so a SHA-256 of the key is enough to store
 * (no slow hash needed) and one unique index finds the key. `source` tells the key set from
 * STATERA_BOOTSTRAP_ADMIN_KEY apart, so a rotated bootstrap key retires the previous one.
 */
export class Principals1764200000000 implements MigrationInterface {
  name = 'Principals1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE principal (
        id text PRIMARY KEY,
        display_name text NOT NULL,
        roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['operator', 'reviewer', 'auditor', 'admin']),
        groups text[] NOT NULL DEFAULT '{}',
        tenant text NOT NULL DEFAULT 'default',
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY,
        principal_id text NOT NULL REFERENCES principal(id),
        key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
        key_prefix text NOT NULL,
        source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'bootstrap', 'development')),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_key_principal ON api_key (principal_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS api_key');
    await q.query('DROP TABLE IF EXISTS principal');
  }
}
