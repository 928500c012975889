import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { consoleMiddleware } from '../../src/console/console-static';
import { startProcessesApp, type ProcessesApp } from '../support/processes-app';
import { waitFor } from '../support/env';
import { assertConsoleBuilt, launchBrowser, screenshot, signedInPage, type Browser } from './browser';

jest.setTimeout(120_000);

let app: ProcessesApp;
let browser: Browser;
let url: string;
const keys: Record<string, string> = {};
let example: Record<string, any>;

beforeAll(async () => {
  assertConsoleBuilt();
  app = await startProcessesApp('console');
  url = app.api.url;
  for (const [id, roles, groups] of [
    ['ops-1', ['operator'], []],
    ['uw-1', ['reviewer'], ['underwriters']],
    ['uw-2', ['reviewer'], ['underwriters']],
    ['auditor-1', ['auditor'], []],
  ] as const) {
    keys[id] = await app.api.createKey({ id, roles: [...roles], groups: [...groups] });
  }
  const defs = await app.api.request('GET', '/v1/definitions');
  example = Object.fromEntries(defs.body.items.map((d: any) => [d.type, d.exampleInput]));
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const as = (id: string) => app.api.as(keys[id]);
const pages: Record<string, Page> = {};
const pageOf = async (id: string) => (pages[id] ??= await signedInPage(browser.context, url, keys[id], id));

test('the console is served at / without a key, next to an API that still wants one', async () => {
  const index = await fetch(`${url}/`);
  expect(index.status).toBe(200);
  expect(index.headers.get('content-type')).toMatch(/text\/html/);
  expect(index.headers.get('cache-control')).toBe('no-cache');
  const asset = /\/assets\/[\w.-]+\.js/.exec(await index.text())?.[0];
  expect(asset).toBeDefined();
  expect((await fetch(`${url}${asset}`)).headers.get('cache-control')).toMatch(/immutable/);
  expect((await fetch(`${url}/v1/workflows`)).status).toBe(401);
  expect((await fetch(`${url}/health`)).status).toBe(200);
  // Any other path wants a key first, known or not (the key is checked before routing); with one, it is 404.
  expect((await fetch(`${url}/no-such-page`)).status).toBe(401);
  expect((await as('uw-1')('GET', '/no-such-page')).status).toBe(404);
  const me = await as('uw-1')('GET', '/v1/me');
  expect(me.body).toEqual({ id: 'uw-1', displayName: 'uw-1', roles: ['reviewer'], groups: ['underwriters'], tenant: 'default' });
});

test('without a build, / says how to build the console instead of failing', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'statera-no-console-'));
  const server = express().use(consoleMiddleware(empty)).listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ title: 'The web console is not built', detail: expect.stringContaining('npm run build:console') });
    // Only the console's own paths: anything else goes on to the next handler.
    expect((await fetch(`${base}/v1/workflows`)).status).toBe(404);
  } finally {
    server.close();
    rmSync(empty, { recursive: true, force: true });
  }
});

test('sign in: an unknown key is refused as the API words it; a valid one shows who is signed in', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${url}/`);
  await page.getByLabel('API key').fill(`stk_${'x'.repeat(43)}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('A valid API key is required').waitFor();
  expect(await alert.textContent()).toContain('the API key is unknown or revoked');
  await screenshot(page, 'sign-in');
  await page.getByLabel('API key').fill(keys['ops-1']);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('signed in as ops-1').waitFor();
  pages['ops-1'] = page;
});

test('a payment started from the API is watched to completion on its page, the event sent from its form', async () => {
  await app.partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: 'pay-console' }, outcome: 'ok', body: { score: 10 } }]);
  const input = { ...example['payment-settlement'], paymentId: 'PAY-CONSOLE-1' };
  const started = await as('ops-1')('POST', '/v1/workflows', { type: 'payment-settlement', workflowId: 'pay-console', businessKey: 'INV-42', input });
  expect(started.status).toBe(201);

  const page = await pageOf('ops-1');
  await page.goto(`${url}/#/workflows/pay-console`);
  await page.getByRole('heading', { name: 'pay-console' }).waitFor();
  // Set once: were the page reloaded, it would be gone.
  await page.evaluate(() => ((globalThis as any).consoleNotReloaded = true));
  await page.getByTestId('workflow-state').filter({ hasText: 'awaitingSettlement' }).waitFor({ timeout: 30_000 });
  await page.getByRole('list', { name: 'Outstanding work' }).getByText('timer').waitFor();
  await page.getByRole('img', { name: /Statechart of pay-console/ }).waitFor();
  // The payment's chart is too wide to read fitted: it opens at its size, scrolled to the current state, and zooms.
  await page.getByRole('button', { name: 'Show current state' }).waitFor();
  await page.getByTestId('diagram-zoom').filter({ hasText: '100 %' }).waitFor();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByTestId('diagram-zoom').filter({ hasText: '150 %' }).waitFor();
  await page.getByRole('button', { name: 'Fit to width' }).click();
  await page.getByTestId('diagram-zoom').filter({ hasText: 'fit' }).waitFor();
  await page.getByRole('button', { name: 'Show current state' }).click();
  await page.getByTestId('diagram-zoom').filter({ hasText: '100 %' }).waitFor();
  // Scrolled to the current state, which is neither at the top nor at the left of this chart.
  await page.waitForFunction(() => {
    const v = (globalThis as any).document.querySelector('.diagram');
    return v.scrollWidth > v.clientWidth && v.scrollTop > 0;
  });
  await page.getByRole('list', { name: 'History' }).getByRole('listitem').first().waitFor();

  // The payload form is built from the event's schema; the API's field errors land on the field.
  await page.getByLabel('Event', { exact: true }).selectOption('settlement.confirmed');
  await page.getByRole('button', { name: 'Send event' }).click();
  await page.getByRole('alert').getByText('payload of settlement.confirmed does not match its schema').waitFor();
  expect(await page.getByLabel('Reference').getAttribute('aria-invalid')).toBe('true');
  await page.getByLabel('Reference').fill('PAY-CONSOLE-1');
  await page.getByRole('button', { name: 'Send event' }).click();
  await page.getByRole('status').getByText('settlement.confirmed accepted').waitFor();

  await page.getByTestId('workflow-status').filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Output').filter({ hasText: '"outcome": "settled"' }).waitFor();
  expect(await page.evaluate(() => (globalThis as any).consoleNotReloaded)).toBe(true);
  // An operator may read the history but not verify the chain: the page does not ask (a refusal would be logged) and says who verifies.
  await page.getByTestId('audit-chain').getByText('audit chain: verified by auditors').waitFor();
  await screenshot(page, 'workflow-completed');
  expect((await app.get('pay-console')).status).toBe('completed');
});

test('a workflow page follows its workflow by server-sent events: no polling while the stream is open, a change shown as it commits', async () => {
  const input = { ...example['demo-transfer'], transferId: 'T-LIVE', failFirstAttempts: 0 };
  expect((await as('ops-1')('POST', '/v1/workflows', { type: 'demo-transfer', workflowId: 'live-transfer', input })).status).toBe(201);
  const page = await pageOf('ops-1');
  const reads: string[] = [];
  const streams: { url: string; accept: string | undefined }[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/v1/workflows/live-transfer' && r.method() === 'GET') reads.push(new Date().toISOString());
    if (u.pathname === '/v1/live') streams.push({ url: u.search, accept: r.headers().accept });
  });
  await page.goto(`${url}/#/workflows/live-transfer`);
  await page.getByTestId('workflow-state').filter({ hasText: 'awaitingApproval' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('live-status').filter({ hasText: 'live' }).waitFor();
  expect(streams).toContainEqual({ url: '?workflowId=live-transfer', accept: 'text/event-stream' });
  // Settled (the start's last changes may still be arriving by the stream), then idle for 5 s
  // with the stream open: no read of the workflow at all (it polled every 2 s before).
  for (let seen = -1; seen !== reads.length; ) {
    seen = reads.length;
    await page.waitForTimeout(1_500);
  }
  const before = reads.length;
  await page.waitForTimeout(5_000);
  expect(reads.length).toBe(before);
  // A change made elsewhere (the API, not this page) shows within moments, by the stream.
  expect((await as('ops-1')('POST', '/v1/workflows/live-transfer/events', { type: 'transfer.approved', approver: 'ops-1' })).status).toBe(200);
  await page.getByTestId('workflow-status').filter({ hasText: 'completed' }).waitFor({ timeout: 5_000 });
  expect(reads.length).toBeGreaterThan(before);
  await screenshot(page, 'workflow-live');
});

test('an auditor sees the verified audit chain and is offered no action the API would refuse', async () => {
  await app.partners.admin.script('credit', [{ match: { idempotencyKeyPrefix: 'loan-console/' }, outcome: 'ok', body: { score: 650 } }]);
  await app.partners.admin.script('fraud', [{ match: { idempotencyKeyPrefix: 'loan-console' }, outcome: 'ok', body: { score: 10 } }]);
  const input = { ...example['loan-approval'], applicationId: 'loan-console', amount: { value: 9_000_000, currency: 'EUR' } };
  expect((await as('ops-1')('POST', '/v1/workflows', { type: 'loan-approval', workflowId: 'loan-console', input })).status).toBe(201);
  await app.until('loan-console', (w) => JSON.stringify(w.state).includes('underwriting'), 'referred to an underwriter');

  const page = await pageOf('auditor-1');
  await page.goto(`${url}/#/workflows/loan-console`);
  await page.getByTestId('audit-chain').getByText(/audit chain verified \(\d+ records\)/).waitFor();
  await page.getByRole('list', { name: 'History' }).getByRole('listitem').first().waitFor();
  expect(await page.getByRole('button', { name: 'Send event' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Cancel workflow…' }).count()).toBe(0);
  // The API refuses them all the same, in its words.
  const refused = await as('auditor-1')('POST', '/v1/workflows/loan-console/events', { type: 'offer.accepted' });
  expect(refused.status).toBe(403);
  expect(refused.body.detail).toContain('this requires the role operator');
  await screenshot(page, 'workflow-auditor');
  expect((await app.get('loan-console')).status).not.toBe('cancelled');
});

test('a loan review is completed from the inbox; the first approver is refused the second approval (four-eyes)', async () => {
  const uw1 = await pageOf('uw-1');
  await uw1.goto(`${url}/#/tasks`);
  const review = uw1.getByRole('article', { name: 'Underwrite a referred loan application — loan-console' });
  // The card shows the facts the task declares: who applies, for how much, with what score.
  const facts = review.getByRole('definition').filter({ hasText: /./ });
  await review.getByLabel('Facts of Underwrite a referred loan application — loan-console').getByText('Jana Novak').waitFor();
  const shown = await facts.allTextContents();
  expect(shown).toEqual(expect.arrayContaining(['Jana Novak', '€90,000.00', '36', '650']));
  await review.getByRole('button', { name: 'Claim' }).click();
  await review.getByText('claimed by uw-1').waitFor();
  await review.getByRole('radio', { name: 'approve' }).check();
  // The task form's rules are the API's: a note too long comes back as a field error.
  await review.getByLabel('Note').fill('x'.repeat(2001));
  await review.getByRole('button', { name: 'Complete task' }).click();
  await review.getByRole('alert').getByText('the decision data does not match the task form').waitFor();
  expect(await review.getByLabel('Note').getAttribute('aria-invalid')).toBe('true');
  await review.getByLabel('Note').fill('income verified');
  await review.getByRole('button', { name: 'Complete task' }).click();
  await review.waitFor({ state: 'detached' });

  // The second approval arrives in the same inbox without a reload.
  const second = uw1.getByRole('article', { name: 'Second approval of a large loan — loan-console' });
  await second.waitFor({ timeout: 30_000 });
  await second.getByRole('radio', { name: 'approve' }).check();
  await second.getByRole('button', { name: 'Complete task' }).click();
  const refusal = second.getByRole('alert');
  await refusal.getByText('The four-eyes rule refuses this principal').waitFor();
  expect(await refusal.textContent()).toMatch(/already decided a task in this workflow tree/);
  await screenshot(uw1, 'inbox-four-eyes');

  const uw2 = await pageOf('uw-2');
  await uw2.goto(`${url}/#/tasks`);
  const theirs = uw2.getByRole('article', { name: 'Second approval of a large loan — loan-console' });
  await theirs.getByRole('radio', { name: 'approve' }).check();
  await theirs.getByLabel('Note').fill('agreed');
  await theirs.getByRole('button', { name: 'Complete task' }).click();
  await theirs.waitFor({ state: 'detached' });
  await app.until('loan-console', (w) => w.state === 'awaitingAcceptance', 'the offer');
  const history = (await as('auditor-1')('GET', '/v1/workflows/loan-console/history')).body.items;
  expect(history.filter((r: any) => r.kind === 'task.completed').map((r: any) => r.actor)).toEqual(['principal:uw-1', 'principal:uw-2']);
  expect(history.find((r: any) => r.kind === 'task.refused')).toMatchObject({ actor: 'principal:uw-1' });
  await uw2.goto(`${url}/#/tasks?status=completed`);
  await uw2.getByRole('article', { name: 'Second approval of a large loan — loan-console' }).getByText('decided approve by uw-2').waitFor();
  await screenshot(uw2, 'inbox-completed');
});

test('overview, the filtered workflow list and the definitions with their diagram and report', async () => {
  const page = await pageOf('ops-1');
  await page.goto(`${url}/#/`);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByTestId('count-completed').filter({ hasText: /^[1-9]\d*$/ }).waitFor();
  await page.locator('.chart-box canvas').first().waitFor();
  const byType = page.getByRole('table', { name: 'Workflows by type and status' });
  await byType.getByRole('row', { name: /payment-settlement/ }).waitFor();
  await screenshot(page, 'overview');
  const stats = (await as('uw-1')('GET', '/v1/stats/overview')).body;
  expect(stats.counts).toContainEqual({ type: 'payment-settlement', status: 'completed', count: 1 });
  expect(stats.throughput.started.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThanOrEqual(2);
  expect(stats.throughput.completed.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThanOrEqual(1);

  await page.goto(`${url}/#/workflows`);
  await page.getByLabel('Type').selectOption('payment-settlement');
  await page.getByLabel('Status').selectOption('completed');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const list = page.getByRole('region', { name: 'Workflow list' });
  // The click only changes the URL; the list follows it a moment later.
  await page.waitForURL(/#\/workflows\?type=payment-settlement&status=completed$/);
  await list.getByRole('link', { name: 'loan-console', exact: true }).waitFor({ state: 'detached' });
  await list.getByRole('link', { name: 'pay-console', exact: true }).waitFor();
  expect(await list.getByRole('link', { name: /^pay-console:fraudCheck/ }).count()).toBe(0);
  await page.getByRole('button', { name: 'Clear' }).click();
  await list.getByRole('link', { name: 'loan-console', exact: true }).waitFor();
  await page.getByLabel('Created before').fill('2020-01-01T00:00');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await list.getByText('No workflow matches these filters.').waitFor();
  expect(page.url()).toContain('createdBefore=2020-01-01T');
  await page.getByRole('button', { name: 'Clear' }).click();
  await list.getByRole('link', { name: 'loan-console', exact: true }).waitFor();
  await page.getByLabel('Business key').fill('INV-42');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/#\/workflows\?businessKey=INV-42$/);
  await list.getByRole('link', { name: 'loan-console', exact: true }).waitFor({ state: 'detached' });
  await list.getByRole('link', { name: 'pay-console', exact: true }).waitFor();
  await screenshot(page, 'workflows');

  await page.goto(`${url}/#/definitions/payment-settlement/1`);
  const diagram = page.getByRole('img', { name: 'Statechart of payment-settlement version 1' });
  await diagram.waitFor();
  await page.waitForFunction(() => ((globalThis as any).document.querySelector('.diagram img')?.naturalWidth ?? 0) > 0);
  await page.getByRole('button', { name: 'Show compliance report' }).click();
  const report = page.frameLocator('iframe[title="Compliance report of payment-settlement v1"]');
  await report.getByText('payment-settlement').first().waitFor();
  await page.getByRole('region', { name: 'Compliance report' }).getByRole('link', { name: 'Open in a new tab' }).waitFor();
  await screenshot(page, 'definitions');

  // A compound state folds into one box and opens again.
  await page.goto(`${url}/#/definitions/loan-approval/1`);
  // The versions, with their lifecycle and where this tenant's instances are.
  const versions = page.getByRole('table', { name: 'Versions of loan-approval' });
  await versions.getByRole('row', { name: /v1\s*new starts\s*active\s*running here/ }).waitFor();
  const collapsing = page.waitForRequest((r) => r.url().includes('/v1/definitions/loan-approval/1/diagram?format=svg&collapse=underwriting'));
  await page.getByRole('group', { name: 'Compound states' }).getByRole('button', { name: 'Collapse underwriting' }).click();
  await collapsing;
  await page.getByRole('button', { name: 'Expand underwriting' }).waitFor();
  expect(await page.getByRole('button', { name: 'Expand underwriting' }).getAttribute('aria-pressed')).toBe('true');
  await page.waitForFunction(() => ((globalThis as any).document.querySelector('.diagram img')?.naturalWidth ?? 0) > 0);
  await screenshot(page, 'definition-collapsed');
  await page.getByRole('button', { name: 'Expand underwriting' }).click();
  await page.getByRole('button', { name: 'Collapse underwriting' }).waitFor();
});

test('a payment that failed its business is found from the overview by its outcome and walked to its cause, on its timeline', async () => {
  // More than the debtor has: the bank refuses the hold, and the payment ends `completed` in its `failed` state.
  const input = { ...example['payment-settlement'], paymentId: 'PAY-CONSOLE-SHORT', amount: { value: 9_999_999_900, currency: 'EUR' } };
  expect((await as('ops-1')('POST', '/v1/workflows', { type: 'payment-settlement', workflowId: 'pay-console-short', input })).status).toBe(201);
  await waitFor(async () => ((await as('ops-1')('GET', '/v1/workflows/pay-console-short')).body.endedAt ? true : undefined), 'the short payment to end', 30_000);

  const page = await pageOf('ops-1');
  await page.goto(`${url}/#/`);
  await page.getByTestId('outcome-failure').filter({ hasText: /^[1-9]\d*$/ }).waitFor();
  await page.getByRole('link', { name: /ended in failure/ }).click();
  await page.waitForURL(/#\/workflows\?outcome=failure$/);
  const list = page.getByRole('region', { name: 'Workflow list' });
  await list.getByRole('link', { name: 'pay-console-short', exact: true }).click();

  await page.getByRole('heading', { name: 'pay-console-short' }).waitFor();
  await page.getByTestId('workflow-status').filter({ hasText: 'completed' }).waitFor();
  await page.getByTestId('workflow-outcome').filter({ hasText: 'failure' }).waitFor();
  // The cause, in the partner's words, on the record of the failed activity, named.
  const history = page.getByRole('list', { name: 'History' });
  const failedRecord = history.getByRole('listitem').filter({ hasText: 'activity.failed' });
  await failedRecord.getByText('reserveFunds').first().waitFor();
  await failedRecord.getByText(/available, 9999999900 needed/).first().waitFor();
  // Its payload opens on demand.
  await failedRecord.getByText('payload').click();
  await failedRecord.getByLabel(/Payload of record/).filter({ hasText: 'xstate.error.actor.reserveFunds' }).filter({ hasText: 'acme-gmbh-eur' }).waitFor();
  // The timeline has a bar per activity, with how it ended.
  const timeline = page.getByRole('figure', { name: 'Timeline of activities, timers and tasks' });
  await timeline.getByTestId('timeline-bar').filter({ hasText: 'reserveFunds' }).filter({ hasText: 'failed' }).waitFor();
  await screenshot(page, 'workflow-failed-cause');

  // Found by its id from the list page too.
  await page.goto(`${url}/#/workflows`);
  await page.getByLabel('Workflow id').fill('pay-console-short');
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'pay-console-short' }).waitFor();
});
