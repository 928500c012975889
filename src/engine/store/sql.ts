import type { DataSource, QueryRunner } from 'typeorm';

/** A transaction's connection: raw SQL, because the event loop needs exact locking and few round trips. */
export class Tx {
  constructor(private readonly runner: QueryRunner) {}

  async rows<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.runner.query(sql, params, true);
    return (result.records ?? []) as T[];
  }

  async one<T = any>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(sql, params))[0];
  }
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/** Runs `fn` in one transaction; retried a few times on deadlock or serialization failure. */
export async function inTransaction<T>(dataSource: DataSource, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const result = await fn(new Tx(runner));
      await runner.commitTransaction();
      return result;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code;
      if (attempt < 5 && code && RETRYABLE.has(code)) continue;
      throw err;
    } finally {
      await runner.release();
    }
  }
}

/** Runs one statement outside an explicit transaction. */
export async function query<T = any>(dataSource: DataSource, sql: string, params: unknown[] = []): Promise<T[]> {
  const runner = dataSource.createQueryRunner();
  try {
    return await new Tx(runner).rows<T>(sql, params);
  } finally {
    await runner.release();
  }
}

const TRANSIENT_CODES = new Set(['55P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
/**
 * SQLSTATE classes that pass with time: 08 connection exceptions (a protocol error too), 40
 * serialization failures and deadlocks, 53 insufficient resources (disk full, out of memory,
 * too many connections), 57 operator intervention (statement timeout, shutdown), 58 system errors.
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);

/** A failure that may pass if tried again (the database restarting, a lost connection, a full disk), as opposed to one that never will. */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e?.driverError?.code ?? e?.code;
  if (code && (TRANSIENT_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_CLASSES.has(code.slice(0, 2))))) return true;
  // TypeORM releases a query runner whose connection died (pg_terminate_backend, a restart): the
  // transaction's next statement then meets this, not a PostgreSQL error. Rolled back, retry.
  if ((e as { name?: string })?.name === 'QueryRunnerAlreadyReleasedError') return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection is closed|Client has encountered a connection error/i.test(e?.message ?? '');
}
