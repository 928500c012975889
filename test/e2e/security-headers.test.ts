import { existsSync } from 'node:fs';
import path from 'node:path';
import { startHttpApp, type HttpHarness } from '../support/http-app';

let api: HttpHarness;
let operator: string;

beforeAll(async () => {
  api = await startHttpApp('headers');
  operator = await api.createKey({ id: 'ops-headers', roles: ['operator'] });
});
afterAll(() => api?.close());

const CONSOLE_BUILT = existsSync(path.join(__dirname, '../../dist/console/index.html'));

/** The headers every response carries, whatever served it. */
function expectHardened(headers: Headers) {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-powered-by')).toBeNull();
  const csp = headers.get('content-security-policy') ?? '';
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  expect(directives['frame-ancestors']).toEqual(["'none'"]);
  expect(directives['default-src']).toEqual(["'self'"]);
  // Scripts only from this origin: no inline script, no eval, no attribute handlers.
  expect(directives['script-src']).toEqual(["'self'"]);
  expect(directives['script-src-attr']).toEqual(["'none'"]);
  expect(directives['object-src']).toEqual(["'none'"]);
  // The report's <style>, Swagger UI's and the console's diagrams (blob: images) need these.
  expect(directives['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
  expect(directives['img-src']).toEqual(expect.arrayContaining(["'self'", 'data:', 'blob:']));
}

test('an API response: hardened, never cached', async () => {
  const res = await api.as(operator)('GET', '/v1/workflows?limit=1');
  expect(res.status).toBe(200);
  expectHardened(res.headers);
  expect(res.headers.get('cache-control')).toBe('no-store');

  const key = await api.request('POST', '/v1/admin/api-keys', { principal: { id: 'ops-headers-2', displayName: 'x', roles: ['operator'] } });
  expect(key.status).toBe(201);
  expectHardened(key.headers);
  expect(key.headers.get('cache-control')).toBe('no-store');
  const principals = await api.request('GET', '/v1/admin/principals');
  expect(principals.headers.get('cache-control')).toBe('no-store');
});

test('a problem response: hardened, never cached, and its instance without the query string', async () => {
  const unauthenticated = await api.as(null)('GET', '/v1/workflows?businessKey=INV-secret&limit=5');
  expect(unauthenticated.status).toBe(401);
  expectHardened(unauthenticated.headers);
  expect(unauthenticated.headers.get('cache-control')).toBe('no-store');
  expect(unauthenticated.body.instance).toBe('/v1/workflows');

  const notFound = await api.as(operator)('GET', '/v1/workflows/no-such-workflow?verbose=1');
  expect(notFound.status).toBe(404);
  expect(notFound.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expectHardened(notFound.headers);
  expect(notFound.headers.get('cache-control')).toBe('no-store');
  expect(notFound.body.instance).toBe('/v1/workflows/no-such-workflow');

  // Refused by the body parser, before Nest: the same headers.
  const malformed = await api.as(operator)('POST', '/v1/workflows?x=1', '{"type":', { 'content-type': 'application/json' });
  expect(malformed.status).toBe(400);
  expectHardened(malformed.headers);
  expect(malformed.body.instance).toBe('/v1/workflows');
});

test('the console index keeps its own cache header under the policy', async () => {
  const res = await fetch(`${api.url}/`);
  expectHardened(res.headers);
  if (CONSOLE_BUILT) {
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    // Nothing in the page the policy would block: its script and stylesheet are files of this origin.
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    const asset = /\/assets\/[\w.-]+\.js/.exec(html)?.[0];
    const script = await fetch(`${api.url}${asset}`);
    expect(script.headers.get('cache-control')).toMatch(/immutable/);
    expectHardened(script.headers);
  } else {
    // Not built (`npm run build:console`): the 503 that says so is hardened as well.
    expect(res.status).toBe(503);
  }
});

test('the compliance report (inline <style> and SVG) is served under the policy, not cached', async () => {
  const res = await fetch(`${api.url}/v1/definitions/demo-transfer/1/report`, { headers: { authorization: `Bearer ${operator}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  expectHardened(res.headers);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const html = await res.text();
  // What the policy must allow is there; what it forbids is not.
  expect(html).toMatch(/<style>/);
  expect(html).toMatch(/<svg/);
  expect(html).not.toMatch(/<script/i);
});

test('Swagger UI loads its page and assets without a key, under the policy', async () => {
  const page = await fetch(`${api.url}/docs`);
  expect(page.status).toBe(200);
  expectHardened(page.headers);
  const html = await page.text();
  // Its scripts are files; its inline blocks are <style>, which the policy allows.
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
  expect(scripts).toHaveLength(3);
  for (const src of scripts) {
    expect((await fetch(new URL(src, `${api.url}/docs`))).status).toBe(200);
  }
  expect((await fetch(`${api.url}/docs/swagger-ui.css`)).status).toBe(200);
});
