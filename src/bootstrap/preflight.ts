import { Redis } from 'ioredis';
import type { AppConfig } from '../config/config';
import { isTransient } from '../engine/store/sql';
import { createDataSource, ensureDatabase, migrate } from '../persistence/data-source';

/** A failure the operator can fix, told in one line. */
export class PreflightError extends Error {}

const HOW_TO_START = {
  postgres: "start it with `docker compose up -d postgres`, or on this machine `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
  redis: "start it with `docker compose up -d redis`, or on this machine `redis-server --daemonize yes --bind 127.0.0.1 --port 6379`",
};

function where(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)}`;
}

/** Checks PostgreSQL and Redis, creates the database when missing, runs migrations. */
export async function preflight(config: AppConfig): Promise<{ createdDatabase: boolean }> {
  let createdDatabase: boolean;
  try {
    createdDatabase = await ensureDatabase(config.DATABASE_URL);
  } catch (err) {
    throw new PreflightError(`PostgreSQL is not reachable at ${where(config.DATABASE_URL)} (DATABASE_URL): ${(err as Error).message || (err as { code?: string }).code}; ${HOW_TO_START.postgres}`);
  }
  const dataSource = createDataSource(config.DATABASE_URL, 2);
  await dataSource.initialize();
  try {
    await migrate(dataSource);
  } finally {
    await dataSource.destroy();
  }
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new PreflightError(`Redis is not reachable at ${where(config.REDIS_URL)} (REDIS_URL): ${(cause ?? (err as Error)).message}; ${HOW_TO_START.redis}`);
  } finally {
    redis.disconnect();
  }
  return { createdDatabase };
}

/**
 * A worker started while PostgreSQL or Redis is away waits for them instead of exiting: it
 * retries the preflight with a growing pause (1 s doubling to 15 s), one log line an attempt,
 * for as long as it takes. What an operator must fix (a bad URL's refusal is the same as an
 * outage from here) is said in that line.
 */
export async function preflightWaiting(config: AppConfig, log: (message: string) => void, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<{ createdDatabase: boolean }> {
  for (let attempt = 1, pauseMs = 1000; ; attempt++, pauseMs = Math.min(pauseMs * 2, 15_000)) {
    try {
      return await preflight(config);
    } catch (err) {
      if (!(err instanceof PreflightError) && !isTransient(err)) throw err;
      log(`waiting for services (attempt ${attempt}, next in ${pauseMs / 1000} s): ${(err as Error).message}`);
      await sleep(pauseMs);
    }
  }
}
