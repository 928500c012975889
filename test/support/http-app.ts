import { randomBytes } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '../../src/config/config';
import { createHttpApp } from '../../src/bootstrap/create-app';
import { loadDefinitions } from '../../src/bootstrap/definitions';
import type { WorkflowDefinition } from '../../src/engine';
import { createTestDatabase, deleteRedisKeys, REDIS_URL, testPrefix, type TestDatabase } from './env';

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: any;
}

export type RequestFn = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpResponse>;

export interface HttpHarness {
  app: NestExpressApplication;
  db: TestDatabase;
  prefix: string;
  url: string;
  /** STATERA_BOOTSTRAP_ADMIN_KEY of this app: the key of `admin`, who has every role. */
  adminKey: string;
  /** As the admin; an `authorization` header given replaces the admin's. */
  request: RequestFn;
  /** Requests with this API key, or with no Authorization header at all (null). */
  as(key: string | null): RequestFn;
  /** A new principal with a key, through POST /v1/admin/api-keys; returns the key. */
  createKey(principal: { id: string; displayName?: string; roles: string[]; groups?: string[]; tenant?: string }): Promise<string>;
  close(): Promise<void>;
}

/** The real NestJS application (ROLE=all) on an ephemeral port, with its own database and queue prefix. */
export interface HttpAppOptions {
  env?: Record<string, string>;
  /** Replaces the definitions built from machines/ (say, with short delays and the test's own sandbox). */
  definitions?: readonly WorkflowDefinition[];
}

export async function startHttpApp(label: string, extra: readonly WorkflowDefinition[] = [], options: HttpAppOptions = {}): Promise<HttpHarness> {
  const env = options.env ?? {};
  const db = await createTestDatabase(label);
  const prefix = testPrefix(label);
  const adminKey = `stk_${randomBytes(32).toString('base64url')}`;
  // Rate limits off unless a test sets RATE_LIMIT: the other tests burst far past them on purpose.
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, SWEEP_INTERVAL_MS: '500', PORT: '0', DATABASE_POOL_SIZE: '20', SANDBOX: 'false', STATERA_BOOTSTRAP_ADMIN_KEY: adminKey, RATE_LIMIT: 'false', ...env });
  const app = await createHttpApp(config, [...(options.definitions ?? loadDefinitions(config.PARTNERS_URL)), ...extra], ['error']);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const as =
    (key: string | null): RequestFn =>
    async (method, path, body, headers = {}) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // keep the text
      }
      return { status: res.status, headers: res.headers, body: parsed };
    };
  const request = as(adminKey);
  return {
    app,
    db,
    prefix,
    url,
    adminKey,
    request,
    as,
    async createKey(principal) {
      const res = await request('POST', '/v1/admin/api-keys', { principal: { displayName: principal.id, ...principal } });
      if (res.status !== 201) throw new Error(`creating a key for ${principal.id}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.key;
    },
    async close() {
      await app.close();
      await db.drop();
      await deleteRedisKeys(prefix);
    },
  };
}
