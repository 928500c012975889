import { EventSourceParserStream } from 'eventsource-parser/stream';
import { allTestDefinitions } from '../support/test-definitions';
import { startHttpApp, type HttpHarness } from '../support/http-app';

// GET /v1/live: server-sent events of the workflows a tenant's commits change, read the way
// the console reads them (fetch with the Authorization header, parsed as an event stream).

let h: HttpHarness;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  h = await startHttpApp('live', allTestDefinitions);
  keyA = await h.createKey({ id: 'live-ops-a', roles: ['operator'], tenant: 'live-a' });
  keyB = await h.createKey({ id: 'live-ops-b', roles: ['operator'], tenant: 'live-b' });
}, 60_000);
afterAll(() => h?.close());

interface Stream {
  status: number;
  events: { event?: string; data: any }[];
  /** Resolves with the first `changes` item matching `probe`. */
  next(probe: (item: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

async function open(key: string, query = ''): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(`${h.url}/v1/live${query}`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal: abort.signal });
  const events: Stream['events'] = [];
  const waiters: { probe: (item: any) => boolean; resolve: (item: any) => void }[] = [];
  if (res.ok && res.body) {
    void (async () => {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done || !value) return;
        const data = JSON.parse(value.data);
        events.push({ event: value.event, data });
        for (const item of data.items ?? []) {
          for (const w of waiters.splice(0)) {
            if (w.probe(item)) w.resolve(item);
            else waiters.push(w);
          }
        }
      }
    })();
  }
  return {
    status: res.status,
    events,
    next: (probe, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const seen = events.flatMap((e) => e.data.items ?? []).find(probe);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => reject(new Error(`no matching change within ${timeoutMs} ms; got ${JSON.stringify(events)}`)), timeoutMs);
        waiters.push({ probe, resolve: (item) => (clearTimeout(timer), resolve(item)) });
      }),
    close: () => abort.abort(),
  };
}

test('a tenant sees its workflows change as they commit, and nothing of another tenant', async () => {
  const a = await open(keyA);
  const b = await open(keyB);
  expect([a.status, b.status]).toEqual([200, 200]);
  try {
    const started = await h.as(keyA)('POST', '/v1/workflows', { type: 'test-approval', workflowId: 'live-1', input: { timeoutMs: 600_000 } });
    expect(started.status).toBe(201);
    expect(await a.next((i) => i.id === 'live-1' && i.status === 'waiting')).toMatchObject({ type: 'test-approval', state: 'waiting', definitionVersion: 1, outcome: null });
    await h.as(keyA)('POST', '/v1/workflows/live-1/events', { type: 'approval.granted' });
    expect(await a.next((i) => i.id === 'live-1' && i.status === 'completed')).toMatchObject({ outcome: 'success' });
    // B's stream carried nothing of A's: its first event was `ready`, and no change since.
    expect(b.events.map((e) => e.event)).toEqual(['ready']);
    expect(a.events[0]).toEqual({ event: 'ready', data: { workflowId: null } });
  } finally {
    a.close();
    b.close();
  }
});

test('a stream of one workflow carries it and its children, not the tenant\'s other workflows', async () => {
  const one = await open(keyA, '?workflowId=live-parent');
  expect(one.status).toBe(404);
  const started = await h.as(keyA)('POST', '/v1/workflows', { type: 'test-approval', workflowId: 'live-parent-first', input: { timeoutMs: 600_000 } });
  expect(started.status).toBe(201);
  // The parent exists before its stream is opened; its child is started by the engine.
  const parent = await h.as(keyA)('POST', '/v1/workflows', { type: 'test-parent', workflowId: 'live-parent', input: { n: 2 } });
  expect(parent.status).toBe(201);
  const s = await open(keyA, '?workflowId=live-parent');
  expect(s.status).toBe(200);
  try {
    const other = h.as(keyA)('POST', '/v1/workflows', { type: 'test-approval', workflowId: 'live-other', input: { timeoutMs: 600_000 } });
    expect((await other).status).toBe(201);
    // The parent completes when its child does; whether the child's own changes are seen depends on
    // timing (it may finish before the stream opened), but the parent's last change always comes.
    expect(await s.next((i) => i.id === 'live-parent' && i.status === 'completed', 20_000)).toMatchObject({ type: 'test-parent' });
    const items = s.events.flatMap((e) => e.data.items ?? []);
    expect(items.filter((i: any) => i.id !== 'live-parent' && i.parentId !== 'live-parent')).toEqual([]);
    expect(items.some((i: any) => i.id === 'live-other')).toBe(false);
  } finally {
    s.close();
  }
});

test('refusals are problem+json answers, never a stream: no key, another tenant\'s id, no Accept: text/event-stream', async () => {
  const noKey = await fetch(`${h.url}/v1/live`, { headers: { accept: 'text/event-stream' } });
  expect(noKey.status).toBe(401);
  await h.as(keyA)('POST', '/v1/workflows', { type: 'test-approval', workflowId: 'live-secret', input: { timeoutMs: 600_000 } });
  const foreign = await fetch(`${h.url}/v1/live?workflowId=live-secret`, { headers: { authorization: `Bearer ${keyB}`, accept: 'text/event-stream' } });
  const missing = await fetch(`${h.url}/v1/live?workflowId=live-nothing`, { headers: { authorization: `Bearer ${keyB}`, accept: 'text/event-stream' } });
  expect([foreign.status, missing.status]).toEqual([404, 404]);
  expect(foreign.headers.get('content-type')).toContain('application/problem+json');
  const plain = await fetch(`${h.url}/v1/live`, { headers: { authorization: `Bearer ${keyA}`, accept: 'application/json' } });
  expect(plain.status).toBe(406);
  expect(await plain.json()).toMatchObject({ detail: 'this route answers a server-sent event stream: send Accept: text/event-stream' });
});
