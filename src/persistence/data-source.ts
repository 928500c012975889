import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { InitialSchema1764100000000 } from './migrations/1764100000000-initial-schema';
import { Principals1764200000000 } from './migrations/1764200000000-principals';
import { HumanTasks1764300000000 } from './migrations/1764300000000-human-tasks';
import { ApplicationRole1764400000000 } from './migrations/1764400000000-application-role';
import { StateEntered1764500000000 } from './migrations/1764500000000-state-entered';
import { SlaBreach1764600000000 } from './migrations/1764600000000-sla-breach';
import { EndedAtIndex1764700000000 } from './migrations/1764700000000-ended-at-index';
import { Tenancy1764800000000 } from './migrations/1764800000000-tenancy';
import { Incidents1764900000000 } from './migrations/1764900000000-incidents';
import { SecurityEventTenantSeq1765000000000 } from './migrations/1765000000000-security-event-tenant-seq';
import { ActivityLease1765100000000 } from './migrations/1765100000000-activity-lease';
import { HotInstanceUpdates1765200000000 } from './migrations/1765200000000-hot-instance-updates';
import { WorkflowOutcome1765300000000 } from './migrations/1765300000000-workflow-outcome';
import { TaskSummary1765400000000 } from './migrations/1765400000000-task-summary';
import { DefinitionVersions1765500000000 } from './migrations/1765500000000-definition-versions';
import { BatchParams1765600000000 } from './migrations/1765600000000-batch-params';
import { Schedules1765700000000 } from './migrations/1765700000000-schedules';
import { Retention1765800000000 } from './migrations/1765800000000-retention';

export const MIGRATIONS = [InitialSchema1764100000000, Principals1764200000000, HumanTasks1764300000000, ApplicationRole1764400000000, StateEntered1764500000000, SlaBreach1764600000000, EndedAtIndex1764700000000, Tenancy1764800000000, Incidents1764900000000, SecurityEventTenantSeq1765000000000, ActivityLease1765100000000, HotInstanceUpdates1765200000000, WorkflowOutcome1765300000000, TaskSummary1765400000000, DefinitionVersions1765500000000, BatchParams1765600000000, Schedules1765700000000, Retention1765800000000];

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    extra: {
      max: poolSize,
      application_name: 'statera',
      connectionTimeoutMillis: 5000,
      // A pooled connection whose backend is terminated while nobody is listening on it (between
      // queries) emits 'error'; with no listener Node ends the process. The pool and TypeORM add
      // and remove listeners as a connection is lent out and returned, and a ROLE=worker process
      // still died of one under repeated pg_terminate_backend (test/fault/database-hiccup.test.ts,
      // once in three CI runs). This listener stays for the connection's life; the dead connection
      // itself is noticed by its next query, which fails as transient, and by the pool on release.
      onConnect: (client: { on(event: 'error', listener: () => void): unknown }) => {
        client.on('error', () => undefined);
      },
    },
  };
}

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name "${name}" must be letters, digits and underscores`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      // Another process created it between the check and the create.
      if ((err as { code?: string }).code !== '42P04') throw err;
    }
    return true;
  } finally {
    await client.end();
  }
}

/** Runs pending migrations; an advisory lock keeps several starting processes from racing. */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(7265821)');
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock(7265821)');
    }
  } finally {
    await runner.release();
  }
}

