import type { HttpHarness } from '../support/http-app';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';
import { waitFor } from '../support/env';
import { stopSvgRenderer } from '../../src/diagrams/svg';

let app: ProcessesApp;
let api: HttpHarness;

beforeAll(async () => {
  app = await startProcessesApp('diagrams');
  api = app.api;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stopSvgRenderer();
});

/** Graphviz writes `-` in attributes as `&#45;`. */
const graphvizUnescape = (svg: string) => svg.replace(/&#45;/g, '-');

/** The `class` attribute of the SVG group with this id. */
function svgClass(svg: string, id: string): string | undefined {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`<g id="${escaped}" class="([^"]*)"`).exec(graphvizUnescape(svg))?.[1];
}

test('a definition diagram in both formats; 404 for an unknown definition, 400 for a bad format', async () => {
  const mermaid = await api.request('GET', '/v1/definitions/fraud-check/1/diagram?format=mermaid');
  expect(mermaid.status).toBe(200);
  expect(mermaid.headers.get('content-type')).toMatch(/^text\/vnd\.mermaid/);
  expect(mermaid.body).toMatch(/^stateDiagram-v2/);
  expect(mermaid.body).toContain('after 4 h (reviewSla)');
  const svg = await api.request('GET', '/v1/definitions/fraud-check/1/diagram?format=svg');
  expect(svg.status).toBe(200);
  expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  expect(svgClass(svg.body, 'state:fraud-check.approved')).toContain('final');
  expect((await api.request('GET', '/v1/definitions/no-such/1/diagram')).status).toBe(404);
  const bad = await api.request('GET', '/v1/definitions/fraud-check/1/diagram?format=png');
  expect(bad.status).toBe(400);
  expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect((await api.request('GET', '/v1/workflows/nobody/diagram')).status).toBe(404);
  expect((await api.as(null)('GET', '/v1/definitions/fraud-check/1/diagram')).status).toBe(401);
});

test('compound states drawn closed with ?collapse=, in both formats; a path that is no compound state is a 400 naming those there are', async () => {
  const open = await api.request('GET', '/v1/definitions/loan-approval/1/diagram?format=svg');
  expect(svgClass(open.body, 'state:loan-approval.underwriting')).toContain('cluster');
  expect(graphvizUnescape(open.body)).toContain('state:loan-approval.underwriting.escalated');
  const closed = await api.request('GET', '/v1/definitions/loan-approval/1/diagram?format=svg&collapse=underwriting');
  expect(closed.status).toBe(200);
  expect(svgClass(closed.body, 'state:loan-approval.underwriting')).toMatch(/state compound collapsed/);
  expect(graphvizUnescape(closed.body)).not.toContain('state:loan-approval.underwriting.escalated');
  expect(closed.body).toContain('2 states inside');
  const mermaid = await api.request('GET', '/v1/definitions/loan-approval/1/diagram?format=mermaid&collapse=underwriting');
  expect(mermaid.status).toBe(200);
  expect(mermaid.body).not.toContain('escalated');
  const wrong = await api.request('GET', '/v1/definitions/loan-approval/1/diagram?collapse=reviewing,underwriting');
  expect(wrong.status).toBe(400);
  expect(wrong.body.errors).toEqual([{ field: 'collapse', message: 'reviewing is not a compound state of loan-approval v1: its compound states are underwriting' }]);
  expect((await api.request('GET', '/v1/definitions/fraud-check/1/diagram?collapse=x')).body.errors[0].message).toContain('it has no compound state');
});

test("a workflow's diagram marks its visited path and its current state", async () => {
  await app.partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: 'diagram-fraud' }, outcome: 'ok', body: { score: 60 } }]);
  const examples = (await api.request('GET', '/v1/definitions/fraud-check/1')).body.exampleInput;
  expect((await api.request('POST', '/v1/workflows', { type: 'fraud-check', workflowId: 'diagram-fraud', input: examples })).status).toBe(201);
  await waitFor(async () => ((await api.request('GET', '/v1/workflows/diagram-fraud')).body.state === 'awaitingReview' ? true : undefined), 'await review', 30_000, 100);

  const viewer = api.as(await api.createKey({ id: 'viewer-1', roles: ['auditor'] }));
  const mermaid = await viewer('GET', '/v1/workflows/diagram-fraud/diagram?format=mermaid');
  expect(mermaid.status).toBe(200);
  expect(mermaid.headers.get('content-type')).toMatch(/^text\/vnd\.mermaid/);
  const classLines = (mermaid.body as string).split('\n').filter((l) => l.trim().startsWith('class '));
  expect(classLines).toContain('  class s_awaitingReview current');
  expect(classLines).toContain('  class s_scoring visited');
  expect(classLines.join('\n')).not.toMatch(/s_approved|s_declined/);

  const svg = await viewer('GET', '/v1/workflows/diagram-fraud/diagram?format=svg');
  expect(svg.status).toBe(200);
  expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  expect(svgClass(svg.body, 'state:fraud-check.awaitingReview')!.split(' ')).toContain('current');
  expect(svgClass(svg.body, 'state:fraud-check.scoring')!.split(' ')).toContain('visited');
  expect(svgClass(svg.body, 'state:fraud-check.approved')!.split(' ')).not.toEqual(expect.arrayContaining(['visited']));
  expect(svgClass(svg.body, 'state:fraud-check.approved')!.split(' ')).not.toContain('current');
  // The transition taken (scoring → awaitingReview) is coloured; the others are not.
  expect(graphvizUnescape(svg.body)).toMatch(/<g id="transition:e\d+:fraud-check\.awaitingReview" class="edge transition visited"/);
  expect(graphvizUnescape(svg.body)).not.toMatch(/<g id="transition:e\d+:fraud-check\.approved" class="edge transition visited"/);
});

test('the compliance report: diagram, every state and transition, every path to a final state, changes', async () => {
  const res = await api.request('GET', '/v1/definitions/demo-transfer/1/report');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = res.body as string;
  expect(html).toContain('<svg');
  for (const state of ['reserving', 'awaitingApproval', 'completed', 'rejected', 'expired', 'cancelled']) expect(html).toContain(`<td>${state}</td>`);
  expect(html).toContain('after 10 min (approvalTimeout)');
  // The five paths from the start to a final state, one list item each.
  expect(html.match(/<li data-final=/g)).toHaveLength(5);
  expect(html).toContain('First version');
  const loan = (await api.request('GET', '/v1/definitions/loan-approval/1/report')).body as string;
  expect(loan).toContain('Second approval of a large loan');
  expect((await api.request('GET', '/v1/definitions/nope/1/report')).status).toBe(404);
});

test('the compliance report an auditor signs: metadata with the definition hash and code revision, outcomes of final states, transitions in words, a sign-off block', async () => {
  const html = (await api.request('GET', '/v1/definitions/payment-settlement/1/report')).body as string;
  const hash = /Definition hash \(SHA-256\)<\/th><td><code>([0-9a-f]{64})<\/code>/.exec(html)?.[1];
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  // The same definition, the same hash: the sign-off names one behaviour.
  const again = (await api.request('GET', '/v1/definitions/payment-settlement/1/report')).body as string;
  expect(again).toContain(hash);
  expect(html).toMatch(/Generated at<\/th><td>\d{4}-\d{2}-\d{2}T/);
  expect(html).toMatch(/Code revision<\/th><td><code>[^<]+<\/code>/);
  expect(html).toContain('<td>final — rejection</td>');
  expect(html).toContain('<td>final — failure</td>');
  expect(html).toContain('<td>final — success</td>');
  expect(html).toContain("the callback's reference must be this payment's paymentId");
  expect(html).toMatch(/<h2>Sign-off<\/h2>[\s\S]*hash <code>[0-9a-f]{64}<\/code>[\s\S]*<td>Compliance<\/td>/);
});
