import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { accessLogMiddleware, requestIdMiddleware } from '../../src/observability/http-logging';
import { engineLog, loggersFor } from '../../src/observability/loggers';
import { PinoNestLogger } from '../../src/observability/nest-logger';
import { attachKey, attachPrincipal } from '../../src/auth/request-principal';

function memory() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, stream };
}

test('every line logged while handling a request carries its id; the access line has no headers, no body, no query', async () => {
  const out = memory();
  const loggers = loggersFor({ LOG_LEVEL: 'info' }, out.stream);
  const app = express();
  app.use(requestIdMiddleware());
  app.use(accessLogMiddleware(loggers.access));
  app.use(express.json());
  app.post('/v1/things', async (_req, res) => {
    await new Promise((r) => setTimeout(r, 5));
    loggers.app.info({ workflowId: 'wf-1', type: 'demo-transfer' }, 'handled');
    engineLog(loggers.app)('activity attempt failed', { workflowId: 'wf-1', activity: 'reserveFunds', authorization: 'Bearer stk_secret' });
    new PinoNestLogger(loggers.app).warn('from nest', 'ThingsController');
    res.status(201).json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${url}/v1/things?businessKey=ALICE-SMITH`, {
      method: 'POST',
      headers: { authorization: 'Bearer stk_secret', cookie: 'session=abc', 'content-type': 'application/json', 'x-request-id': 'req-42' },
      body: JSON.stringify({ name: 'Alice Smith' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('req-42');
    await fetch(`${url}/health`);
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    server.close();
  }

  expect(out.lines.map((l) => l.msg)).toEqual(['handled', 'activity attempt failed', 'from nest', 'POST /v1/things 201']);
  for (const line of out.lines) {
    expect(line.requestId).toBe('req-42');
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  }
  expect(out.lines[0]).toMatchObject({ level: 'info', workflowId: 'wf-1', type: 'demo-transfer' });
  expect(out.lines[1]).toMatchObject({ level: 'warn', component: 'engine', workflowId: 'wf-1', activity: 'reserveFunds', authorization: '[redacted]' });
  expect(out.lines[2]).toMatchObject({ level: 'warn', context: 'ThingsController' });
  expect(out.lines[3]).toMatchObject({ level: 'info', req: { method: 'POST', path: '/v1/things' }, res: { statusCode: 201 }, responseTime: expect.any(Number) });
  const all = JSON.stringify(out.lines);
  for (const secret of ['stk_secret', 'session=abc', 'Alice Smith', 'ALICE-SMITH']) expect(all).not.toContain(secret);
});

test('a request without a usable id gets a fresh one', async () => {
  const out = memory();
  const loggers = loggersFor({ LOG_LEVEL: 'info' }, out.stream);
  const app = express();
  app.use(requestIdMiddleware());
  app.use(accessLogMiddleware(loggers.access));
  app.get('/x', (_req, res) => {
    loggers.app.info('inside');
    res.send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, { headers: { 'x-request-id': 'bad id with spaces' } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 50));
    expect(out.lines.map((l) => l.requestId)).toEqual([id, id]);
  } finally {
    server.close();
  }
});

test('the access line of a 401 names the presented key by its prefix, of a 403 the principal and tenant', async () => {
  const out = memory();
  const loggers = loggersFor({ LOG_LEVEL: 'info' }, out.stream);
  const app = express();
  app.use(requestIdMiddleware());
  app.use(accessLogMiddleware(loggers.access));
  // As the authentication middleware leaves it: the presented key's prefix, no principal.
  app.get('/v1/unknown-key', (req, res) => {
    attachKey(req, { prefix: 'stk_gues' });
    res.status(401).end();
  });
  app.get('/v1/refused', (req, res) => {
    attachPrincipal(req, { id: 'ops-9', displayName: 'Ops', roles: ['operator'], groups: [], tenant: 'acme' });
    res.status(403).end();
  });
  app.get('/v1/fine', (req, res) => {
    attachPrincipal(req, { id: 'ops-9', displayName: 'Ops', roles: ['operator'], groups: [], tenant: 'acme' });
    res.status(200).end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const headers = { authorization: 'Bearer stk_guessedguessedguessedguessedguessedguessed1' };
    for (const path of ['/v1/unknown-key', '/v1/refused', '/v1/fine']) await fetch(`${url}${path}`, { headers });
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    server.close();
  }
  const line = (path: string) => out.lines.find((l) => l.req?.path === path);
  expect(line('/v1/unknown-key')).toMatchObject({ res: { statusCode: 401 }, keyPrefix: 'stk_gues' });
  expect(line('/v1/refused')).toMatchObject({ res: { statusCode: 403 }, principal: 'ops-9', tenant: 'acme' });
  expect(line('/v1/fine')).not.toHaveProperty('principal');
  expect(JSON.stringify(out.lines)).not.toContain('stk_guessedguessed');
});
