import { startHttpApp, type HttpHarness, type RequestFn } from '../support/http-app';
import { approval, counter } from '../support/test-definitions';
import { query } from '../../src/engine/store/sql';

let api: HttpHarness;
let auditor: RequestFn;
let operator: RequestFn;
let from: string;
let to: string;

beforeAll(async () => {
  api = await startHttpApp('audit', [approval, counter]);
  auditor = api.as(await api.createKey({ id: 'auditor-1', roles: ['auditor'] }));
  operator = api.as(await api.createKey({ id: 'ops-1', roles: ['operator'] }));
  from = new Date(Date.now() - 1000).toISOString();
  for (const id of ['audit-c1', 'audit-c2']) {
    expect((await api.request('POST', '/v1/workflows', { type: 'test-counter', workflowId: id, input: { limit: 10 } })).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await api.request('POST', `/v1/workflows/${id}/events`, { type: 'counter.incremented', note: 'a "quoted", comma\nline' })).status).toBe(200);
  }
  expect((await api.request('POST', '/v1/workflows', { type: 'test-approval', workflowId: 'audit-a1', input: { timeoutMs: 60_000 } })).status).toBe(201);
  to = new Date(Date.now() + 1000).toISOString();
}, 60_000);

afterAll(() => api?.close());

/** RFC 4180 rows: quoted fields, doubled quotes, CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else field += c;
  }
  if (field || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

test('verify: 200 with a verified report, 403 for an operator, 404 for an unknown workflow, 400 for a bad id', async () => {
  const one = await auditor('GET', '/v1/audit/verify?workflowId=audit-c1');
  expect(one.status).toBe(200);
  expect(one.body).toEqual({ verified: true, instances: 1, records: expect.any(Number) });
  expect(one.body.records).toBeGreaterThanOrEqual(4);
  const all = await api.request('GET', '/v1/audit/verify');
  expect(all.status).toBe(200);
  expect(all.body).toMatchObject({ verified: true, instances: 3 });

  const forbidden = await operator('GET', '/v1/audit/verify');
  expect(forbidden.status).toBe(403);
  expect(forbidden.headers.get('content-type')).toMatch(/problem\+json/);
  expect((await operator('GET', '/v1/audit/export')).status).toBe(403);
  const missing = await auditor('GET', '/v1/audit/verify?workflowId=no-such-one');
  expect(missing.status).toBe(404);
  expect(missing.body.type).toMatch(/workflow-not-found$/);
  expect((await auditor('GET', '/v1/audit/verify?workflowId=%20bad')).status).toBe(400);
});

test('export JSON lines: every record of the window, one JSON a line, the type filter', async () => {
  const res = await fetch(`${api.url}/v1/audit/export?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { headers: { authorization: `Bearer ${api.adminKey}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
  const [{ count }] = await query(api.db.dataSource, 'SELECT count(*)::int AS count FROM workflow_history');
  expect(lines).toHaveLength(count);
  expect(Object.keys(lines[0])).toEqual(['workflowId', 'type', 'seq', 'recordedAt', 'kind', 'actor', 'origin', 'event', 'stateBefore', 'stateAfter', 'outcome', 'reason', 'idempotencyKey', 'data', 'prevHash', 'hash']);
  expect(new Set(lines.map((l) => l.workflowId))).toEqual(new Set(['audit-c1', 'audit-c2', 'audit-a1']));
  // The records are those of the history endpoint, with their hashes.
  const stored = await query(api.db.dataSource, `SELECT hash FROM workflow_history WHERE workflow_id = 'audit-c1' ORDER BY seq`);
  expect(lines.filter((l) => l.workflowId === 'audit-c1').map((l) => l.hash)).toEqual(stored.map((r) => r.hash));

  const typed = await auditor('GET', `/v1/audit/export?type=test-approval&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&format=jsonl`);
  expect(typed.status).toBe(200);
  const typedLines = String(typed.body).trimEnd().split('\n').map((l) => JSON.parse(l));
  expect(typedLines.length).toBeGreaterThan(0);
  expect(typedLines.every((l) => l.type === 'test-approval' && l.workflowId === 'audit-a1')).toBe(true);

  // An empty window is an empty body; the window's end is exclusive.
  const empty = await auditor('GET', `/v1/audit/export?from=${encodeURIComponent(from)}&to=${encodeURIComponent(from)}`);
  expect(empty.status).toBe(200);
  expect(empty.body).toBeNull();
});

test('export CSV: a header line and RFC 4180 quoted fields', async () => {
  const res = await auditor('GET', `/v1/audit/export?format=csv&type=test-counter&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
  const text = String(res.body);
  expect(text.split('\r\n')[0]).toBe('"workflowId","type","seq","recordedAt","kind","actor","origin","event","stateBefore","stateAfter","outcome","reason","idempotencyKey","data","prevHash","hash"');
  const [header, ...rows] = parseCsv(text);
  expect(rows.length).toBeGreaterThanOrEqual(8);
  expect(rows.every((r) => r.length === header.length)).toBe(true);
  const signalled = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))).find((r) => r.event.includes('quoted'))!;
  expect(signalled).toMatchObject({ type: 'test-counter' });
  expect(JSON.parse(signalled.event)).toMatchObject({ type: 'counter.incremented', note: 'a "quoted", comma\nline' });
  expect(signalled.hash).toMatch(/^[0-9a-f]{64}$/);
});

test('export: 400 listing the fields at fault', async () => {
  const bad = await auditor('GET', '/v1/audit/export?from=yesterday&format=xml');
  expect(bad.status).toBe(400);
  expect(bad.body.type).toMatch(/validation-failed$/);
  expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['format', 'from']);
  expect((await auditor('GET', '/v1/audit/export?nope=1')).status).toBe(400);
});
