// Databases, Redis prefixes and child processes the benchmark creates, and their removal:
// everything is registered when created, so a failure or Ctrl-C still leaves nothing behind.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { Redis } from 'ioredis';

export const PG_ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const databases = new Set<string>();
const prefixes = new Set<string>();
const children = new Set<ChildProcess>();
const closers = new Set<() => Promise<void>>();

export function uniqueName(kind: string): string {
  return `statera_bench_${kind}_${randomBytes(3).toString('hex')}`;
}

export function databaseUrl(name: string): string {
  return PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates an empty database of the benchmark's own (dropped by `cleanupAll`). */
export async function createDatabase(kind: string): Promise<{ name: string; url: string }> {
  const name = uniqueName(kind);
  databases.add(name);
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return { name, url: databaseUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  databases.delete(name);
}

export async function databaseSizeBytes(name: string): Promise<number> {
  return admin(async (c) => Number((await c.query('SELECT pg_database_size($1) AS n', [name])).rows[0].n));
}

/** A BullMQ key prefix of the benchmark's own; only letters, digits, `_` and `-` (QUEUE_PREFIX rule). */
export function newPrefix(kind: string): string {
  const p = `bench-${kind}-${randomBytes(3).toString('hex')}`;
  prefixes.add(p);
  return p;
}

export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  prefixes.delete(prefix);
}

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Something with connections to close before its database can be dropped quietly. */
export function trackCloser(close: () => Promise<void>): () => void {
  closers.add(close);
  return () => closers.delete(close);
}

/** Stops every child by its pid, closes what is open, drops every database and prefix still registered. */
export async function cleanupAll(): Promise<void> {
  for (const child of children) if (child.pid && child.exitCode === null) child.kill('SIGKILL');
  for (const close of [...closers]) await close().catch(() => undefined);
  closers.clear();
  for (const name of [...databases]) await dropDatabase(name).catch((err) => console.error(`could not drop ${name}: ${(err as Error).message}`));
  for (const p of [...prefixes]) await deletePrefix(p).catch((err) => console.error(`could not clean prefix ${p}: ${(err as Error).message}`));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One progress line on stderr, so the table on stdout stays clean. */
export function progress(message: string): void {
  process.stderr.write(`  · ${message}\n`);
}
