import { startHttpApp, type HttpHarness } from '../support/http-app';

let api: HttpHarness;
beforeAll(async () => {
  api = await startHttpApp('health');
});
afterAll(() => api.close());

test('liveness answers 200 without an API key', async () => {
  const res = await api.as(null)('GET', '/health');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ok' });
});

test('readiness checks PostgreSQL, Redis and the migrations, without an API key', async () => {
  const res = await api.as(null)('GET', '/health/ready');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    status: 'ok',
    info: { postgres: { status: 'up' }, redis: { status: 'up' }, migrations: { status: 'up' } },
    error: {},
  });
});

test('a migration the code knows but the database has not run makes the process not ready (503, naming it)', async () => {
  // As the schema owner: pretend the newest migration has not run yet.
  const [last] = await api.db.dataSource.query('SELECT * FROM schema_migrations ORDER BY id DESC LIMIT 1');
  await api.db.dataSource.query('DELETE FROM schema_migrations WHERE id = $1', [last.id]);
  try {
    const res = await api.as(null)('GET', '/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'error', info: { postgres: { status: 'up' }, redis: { status: 'up' } }, error: { migrations: { status: 'down' } } });
    expect(res.body.error.migrations.message).toContain(last.name);
  } finally {
    await api.db.dataSource.query('INSERT INTO schema_migrations (id, timestamp, name) VALUES ($1, $2, $3)', [last.id, last.timestamp, last.name]);
  }
  expect((await api.as(null)('GET', '/health/ready')).status).toBe(200);
});

test('an API process whose Redis does not answer is live but not ready', async () => {
  const blind = await startHttpApp('health-noredis', [], { env: { ROLE: 'api', REDIS_URL: 'redis://127.0.0.1:1' } });
  try {
    expect((await blind.as(null)('GET', '/health')).status).toBe(200);
    const res = await blind.as(null)('GET', '/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'error', info: { postgres: { status: 'up' }, migrations: { status: 'up' } }, error: { redis: { status: 'down' } } });
  } finally {
    await blind.close();
  }
});
