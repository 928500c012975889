/**
 * Regenerates src/client/schema.ts from the OpenAPI document of the application.
 *
 *   npm run client:generate                   # starts the app against a throwaway database
 *   npm run client:generate -- --from URL     # reads a running server's document (URL of /docs-json)
 *
 * By default it needs the PostgreSQL and Redis the tests use (DATABASE_URL's server, REDIS_URL;
 * the defaults are the local ones): it creates a database of its own, starts the API in this
 * process with the definitions of machines/ (as the tests do, no EXTRA_DEFINITIONS), reads
 * /docs-json and drops the database. A running server's document also holds its
 * EXTRA_DEFINITIONS: use --from only against a server started like that.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { createHttpApp } from '../src/bootstrap/create-app';
import { loadDefinitions } from '../src/bootstrap/definitions';
import { loadConfig } from '../src/config/config';
import { createDataSource, ensureDatabase, migrate } from '../src/persistence/data-source';
import { CLIENT_SCHEMA_PATH, renderClientSchema } from './client-schema';

async function fetchDocument(url: string): Promise<object> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as object;
}

/** The document of the app as the tests start it, on a database made for this run and dropped after. */
async function documentOfFreshApp(): Promise<object> {
  const base = loadConfig({ ...process.env, SANDBOX: 'false' });
  const suffix = randomBytes(4).toString('hex');
  const target = new URL(base.DATABASE_URL);
  target.pathname = `/statera_client_${suffix}`;
  const databaseUrl = target.toString();
  const prefix = `statera-client-${suffix}`;
  await ensureDatabase(databaseUrl);
  try {
    const dataSource = createDataSource(databaseUrl, 2);
    await dataSource.initialize();
    await migrate(dataSource).finally(() => dataSource.destroy());
    const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, QUEUE_PREFIX: prefix, ROLE: 'api', SANDBOX: 'false', SWAGGER: 'true', RATE_LIMIT: 'false', METRICS: 'false', LOG_LEVEL: 'silent', EXTRA_DEFINITIONS: '', PORT: '0' });
    const app = await createHttpApp(config, loadDefinitions(config.PARTNERS_URL), ['error']);
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      return await fetchDocument(`${url}/docs-json`);
    } finally {
      await app.close();
    }
  } finally {
    await dropDatabase(databaseUrl);
    await deleteKeys(base.REDIS_URL, prefix);
  }
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  const admin = new URL(databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: 'string' } } });
  const document = values.from ? await fetchDocument(values.from) : await documentOfFreshApp();
  writeFileSync(path.resolve(__dirname, '..', CLIENT_SCHEMA_PATH), await renderClientSchema(document));
  process.stdout.write(`wrote ${CLIENT_SCHEMA_PATH}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`client:generate: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
