import type { Page } from 'playwright-core';
import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { incidentDefinitions, partner } from '../support/incident-definitions';
import { assertConsoleBuilt, launchBrowser, screenshot, signedInPage, type Browser } from './browser';

jest.setTimeout(120_000);

let app: HttpHarness;
let browser: Browser;
let url: string;
const keys: Record<string, string> = {};
/** Every API answer each tab got that was a refusal of its role (403), by principal. */
const refused: Record<string, string[]> = {};

beforeAll(async () => {
  assertConsoleBuilt();
  // Terminate needs a second operator; retry, resolve, pause and resume are carried out at once.
  app = await startHttpApp('console-ops', incidentDefinitions, { env: { DUAL_CONTROL: 'terminate' } });
  url = app.url;
  for (const [id, roles, groups] of [
    ['op-1', ['operator'], []],
    ['op-2', ['operator'], []],
    ['aud-1', ['auditor'], []],
    ['rev-1', ['reviewer'], ['fraud-analysts']],
  ] as const) {
    keys[id] = await app.createKey({ id, roles: [...roles], groups: [...groups] });
  }
  browser = await launchBrowser();
  // Refusals are told apart by the key that asked, so even the first page after signing in is watched.
  const byKey = new Map(Object.entries(keys).map(([id, key]) => [`Bearer ${key}`, id]));
  browser.context.on('response', (res) => {
    const who = byKey.get(res.request().headers().authorization ?? '');
    if (who && res.status() === 403) (refused[who] ??= []).push(`${res.request().method()} ${new URL(res.url()).pathname}`);
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const as = (id: string) => app.as(keys[id]);
const pages: Record<string, Page> = {};
const pageOf = async (id: string) => (pages[id] ??= await signedInPage(browser.context, url, keys[id], id));

/** Starts an `incident-strict` workflow while the partner is down and waits for its activity_exhausted incident. */
async function withIncident(id: string): Promise<any> {
  partner.down = true;
  const started = await as('op-1')('POST', '/v1/workflows', { type: 'incident-strict', workflowId: id, input: {} });
  expect(started.status).toBe(201);
  return waitFor(async () => {
    const w = await as('op-1')('GET', `/v1/workflows/${id}`);
    return w.body.incidents?.length ? w.body.incidents[0] : undefined;
  }, `an incident on ${id}`);
}

async function historyKinds(id: string): Promise<string[]> {
  const res = await as('aud-1')('GET', `/v1/workflows/${id}/history`);
  expect(res.status).toBe(200);
  return res.body.items.map((r: any) => r.kind);
}

test('an operator sees the incident on the overview and the workflow page, retries it with a reason, and the workflow completes', async () => {
  const incident = await withIncident('strict-ui');
  expect(incident).toMatchObject({ kind: 'activity_exhausted', status: 'open' });

  const page = await pageOf('op-1');
  await page.goto(`${url}/#/`);
  await page.getByTestId('count-open-incidents').filter({ hasText: /^1$/ }).waitFor();
  const newest = page.getByRole('table', { name: 'Newest open incidents' });
  const row = newest.getByRole('row', { name: /strict-ui/ });
  await row.waitFor();
  expect(await row.textContent()).toContain('activity_exhausted');
  expect(await row.textContent()).toContain('partner answered 503');
  expect(await row.textContent()).toContain('incident-strict');
  await screenshot(page, 'ops-overview-incident');
  // The count links to the workflows with an open incident.
  await page.getByRole('link', { name: /open incidents/ }).first().click();
  await page.waitForURL(/#\/workflows\?hasIncident=true$/);
  expect(await page.getByLabel('With an open incident').isChecked()).toBe(true);
  const list = page.getByRole('region', { name: 'Workflow list' });
  await list.getByRole('link', { name: 'strict-ui', exact: true }).click();

  await page.getByRole('heading', { name: 'strict-ui' }).waitFor();
  const card = page.getByRole('article', { name: 'Incident activity_exhausted' });
  await card.waitFor();
  expect(await card.getByTestId('incident-error').textContent()).toContain('partner answered 503');
  expect(await card.textContent()).toMatch(/kept inputresult of activity partnerCall \(partner\) — failed after \d+ attempt\(s\): partner answered 503/);
  expect(await card.textContent()).toContain('retries0');
  await screenshot(page, 'ops-workflow-incident');

  // An auditor reads the same panel, with nothing to press.
  const auditor = await pageOf('aud-1');
  await auditor.goto(`${url}/#/`);
  await auditor.getByTestId('count-open-incidents').filter({ hasText: /^1$/ }).waitFor();
  await auditor.getByRole('table', { name: 'Newest open incidents' }).getByRole('link', { name: 'strict-ui' }).click();
  await auditor.getByRole('article', { name: 'Incident activity_exhausted' }).getByText(/partner answered 503/).first().waitFor();
  expect(await auditor.getByRole('button', { name: /^(Retry|Resolve|Pause|Resume|Terminate)…$/ }).count()).toBe(0);

  // The reason is required: the confirmation stays disabled until there is one.
  await card.getByRole('button', { name: 'Retry…' }).click();
  const confirm = card.getByRole('button', { name: 'Confirm retry' });
  expect(await confirm.isDisabled()).toBe(true);
  await card.getByLabel('Reason to retry').fill('partner is back');
  partner.down = false;
  await confirm.click();
  await page.getByRole('status').getByText(/Retried: the incident is closed/).waitFor();
  await page.getByTestId('workflow-status').filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
  await card.waitFor({ state: 'detached' });
  await page.getByRole('list', { name: 'History' }).getByText('incident.retried').waitFor();
  await screenshot(page, 'ops-workflow-retried');

  const after = (await as('op-1')('GET', `/v1/incidents/${incident.id}`)).body;
  expect(after).toMatchObject({ status: 'resolved', resolution: 'retried', resolvedBy: 'principal:op-1', resolveReason: 'partner is back' });
  expect(await historyKinds('strict-ui')).toEqual(expect.arrayContaining(['incident.opened', 'incident.retried', 'activity.rescheduled']));
  await page.goto(`${url}/#/`);
  await page.getByTestId('count-open-incidents').filter({ hasText: /^0$/ }).waitFor();
  await page.getByText('No open incidents.').waitFor();
  expect(refused['aud-1'] ?? []).toEqual([]);
});

test('a signal the machine cannot take opens an incident; a retry that fails again is refused in the API\'s words; resolve discards the input', async () => {
  expect((await as('op-1')('POST', '/v1/workflows', { type: 'incident-buggy', workflowId: 'buggy-ui', input: { amount: 10 } })).status).toBe(201);
  const page = await pageOf('op-1');
  await page.goto(`${url}/#/workflows/buggy-ui`);
  await page.getByTestId('workflow-status').filter({ hasText: 'waiting' }).waitFor();
  await page.getByLabel('Event', { exact: true }).selectOption('go');
  await page.getByRole('button', { name: 'Send event' }).click();
  await page.getByRole('status').getByText('go accepted — held behind an open incident; applied once it is closed').waitFor();
  const card = page.getByRole('article', { name: 'Incident machine_error' });
  await card.getByTestId('incident-error').getByText(/Cannot read properties of undefined \(reading 'limit'\)/).waitFor();
  expect(await card.textContent()).toContain('kept inputsignal go');
  expect(await card.textContent()).toContain('in stateidle');

  await card.getByRole('button', { name: 'Retry…' }).click();
  await card.getByLabel('Reason to retry').fill('maybe it was transient');
  await card.getByRole('button', { name: 'Confirm retry' }).click();
  const alert = page.getByRole('region', { name: /Incidents/ }).getByRole('alert');
  await alert.getByText('The retry failed again; the incident stays open').waitFor();
  expect(await alert.textContent()).toMatch(/the retry failed: incident-buggy@1 threw on go: .*Cannot read properties of undefined/s);
  expect(await alert.textContent()).toContain('409');
  await card.getByText(/retries1/).waitFor();
  await screenshot(page, 'ops-retry-failed');

  await card.getByRole('button', { name: 'Resolve…' }).click();
  await card.getByLabel(/Reason to resolve/).fill('the customer will resubmit');
  await card.getByRole('button', { name: 'Confirm resolve' }).click();
  await page.getByRole('status').getByText('Resolved: the incident is closed; the kept input is discarded and the workflow goes on').waitFor();
  await card.waitFor({ state: 'detached' });
  await page.getByRole('list', { name: 'History' }).getByText('incident.resolved').waitFor();
  const w = (await as('op-1')('GET', '/v1/workflows/buggy-ui')).body;
  expect(w).toMatchObject({ status: 'waiting', state: 'idle', incidents: [], heldInputs: 0 });
  expect(await historyKinds('buggy-ui')).toEqual(expect.arrayContaining(['incident.opened', 'incident.retry.failed', 'incident.resolved']));
});

test('pause then resume a waiting workflow from its page; a signal sent meanwhile is held, then applied', async () => {
  expect((await as('op-1')('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'pausable-ui', input: { tickMs: 600_000 } })).status).toBe(201);
  const page = await pageOf('op-1');
  await page.goto(`${url}/#/workflows/pausable-ui`);
  await page.getByTestId('workflow-status').filter({ hasText: 'waiting' }).waitFor();
  const ops = page.getByRole('region', { name: 'Operator', exact: true });
  await ops.getByRole('button', { name: 'Pause…' }).waitFor();
  await ops.getByRole('button', { name: 'Terminate…' }).waitFor();
  expect(await ops.getByRole('button', { name: 'Resume…' }).count()).toBe(0);

  await ops.getByRole('button', { name: 'Pause…' }).click();
  await ops.getByLabel('Reason to pause').fill('customer called');
  await ops.getByRole('button', { name: 'Confirm pause' }).click();
  await ops.getByRole('status').getByText(/^Paused:/).waitFor();
  await page.getByTestId('workflow-status').filter({ hasText: 'paused' }).waitFor();
  await ops.getByRole('button', { name: 'Resume…' }).waitFor();
  expect(await ops.getByRole('button', { name: 'Pause…' }).count()).toBe(0);

  // A signal to a paused workflow is answered 202 and kept.
  await page.getByLabel('Event', { exact: true }).selectOption('note.added');
  await page.getByRole('button', { name: 'Send event' }).click();
  await page.getByRole('status').getByText('note.added accepted — held while the workflow is paused; applied when it is resumed').waitFor();
  await ops.getByTestId('held-inputs').filter({ hasText: '1 input held until it is resumed' }).waitFor();
  await page.getByRole('list', { name: 'History' }).getByText('workflow.paused').waitFor();
  await screenshot(page, 'ops-workflow-paused');
  expect((await as('op-1')('GET', '/v1/workflows/pausable-ui')).body).toMatchObject({ status: 'paused', heldInputs: 1 });

  await ops.getByRole('button', { name: 'Resume…' }).click();
  await ops.getByLabel('Reason to resume').fill('customer confirmed');
  await ops.getByRole('button', { name: 'Confirm resume' }).click();
  // The held signal is applied on resume: before the timer, it leads to `early`, a final state.
  await page.getByTestId('workflow-status').filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('workflow-state').filter({ hasText: 'early' }).waitFor();
  await page.getByRole('list', { name: 'History' }).getByText('workflow.resumed').waitFor();
  const kinds = await historyKinds('pausable-ui');
  expect(kinds).toEqual(expect.arrayContaining(['workflow.paused', 'input.held', 'workflow.resumed']));
  expect(kinds.indexOf('workflow.paused')).toBeLessThan(kinds.indexOf('workflow.resumed'));
});

test('terminate waits for a second operator; the requester may not approve it, another operator approves it on the approvals page', async () => {
  expect((await as('op-1')('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'terminate-ui', input: { tickMs: 600_000 } })).status).toBe(201);
  const page = await pageOf('op-1');
  await page.goto(`${url}/#/workflows/terminate-ui`);
  await page.getByTestId('workflow-status').filter({ hasText: 'waiting' }).waitFor();
  const ops = page.getByRole('region', { name: 'Operator', exact: true });
  await ops.getByRole('button', { name: 'Terminate…' }).click();
  await ops.getByLabel('Reason to terminate').fill('duplicate order');
  await ops.getByRole('button', { name: 'Confirm terminate' }).click();
  await ops.getByRole('status').getByText('Waiting for a second operator: the terminate is kept until another operator approves it').waitFor();
  const pending = ops.getByRole('article', { name: 'Terminate requested by op-1' });
  await pending.getByText(/waiting for a second operator · expires/).waitFor();
  expect(await pending.textContent()).toContain('“duplicate order”');
  expect(await page.getByTestId('workflow-status').textContent()).toBe('waiting');
  // Asked once: the button waits with the request; pause still applies.
  expect(await ops.getByRole('button', { name: 'Terminate…' }).count()).toBe(0);
  await ops.getByRole('button', { name: 'Pause…' }).waitFor();
  await screenshot(page, 'ops-terminate-pending');

  // The requester's own approval is refused, in the API's words.
  await page.getByRole('link', { name: 'Approvals', exact: true }).click();
  await page.getByRole('heading', { name: 'Operator approvals' }).waitFor();
  const own = page.getByRole('article', { name: 'Terminate requested by op-1' });
  await own.getByRole('link', { name: 'terminate-ui' }).waitFor();
  await own.getByRole('button', { name: 'Approve' }).click();
  const alert = own.getByRole('alert');
  await alert.getByText('Dual control: the requester may not approve their own action').waitFor();
  expect(await alert.textContent()).toContain('a different operator must approve this action');
  expect(await alert.textContent()).toContain('403');
  await screenshot(page, 'ops-self-approval');
  expect(refused['op-1']).toEqual([expect.stringMatching(/^POST \/v1\/operator-approvals\/[\w-]+\/approve$/)]);

  const second = await pageOf('op-2');
  await second.goto(`${url}/#/approvals`);
  const theirs = second.getByRole('article', { name: 'Terminate requested by op-1' });
  await theirs.getByLabel('Decision note').fill('checked with the customer');
  await theirs.getByRole('button', { name: 'Approve' }).click();
  await second.getByRole('status').getByText('Terminate of terminate-ui approved and carried out').waitFor();
  await theirs.waitFor({ state: 'detached' });
  await second.getByText('Nothing waits for a second operator.').waitFor();
  await second.getByRole('link', { name: 'approved', exact: true }).click();
  const decided = second.getByRole('article', { name: 'Terminate requested by op-1' });
  await decided.getByText(/approved by op-2 at .* — “checked with the customer”/).waitFor();
  await decided.getByText('carried out').waitFor();
  await screenshot(second, 'ops-approved');

  await second.goto(`${url}/#/workflows/terminate-ui`);
  await second.getByTestId('workflow-status').filter({ hasText: 'terminated' }).waitFor();
  await second.getByRole('list', { name: 'History' }).getByText('workflow.terminated').waitFor();
  // Nothing applies to an ended workflow: no operator buttons are left.
  expect(await second.getByRole('button', { name: /^(Pause|Resume|Terminate)…$/ }).count()).toBe(0);
  await screenshot(second, 'ops-workflow-terminated');
  expect(await historyKinds('terminate-ui')).toEqual(expect.arrayContaining(['operator.approval.requested', 'operator.approval.approved', 'workflow.terminated']));
  expect(refused['op-2'] ?? []).toEqual([]);
});

test('a reviewer-only principal sees no operator controls, and the console asks for nothing the role may not read', async () => {
  await withIncident('strict-rev');
  partner.down = false;
  expect((await as('op-1')('POST', '/v1/workflows', { type: 'incident-pausable', workflowId: 'pausable-rev', input: { tickMs: 600_000 } })).status).toBe(201);
  expect((await as('rev-1')('GET', '/v1/incidents')).status).toBe(403);

  const page = await pageOf('rev-1');
  await page.goto(`${url}/#/`);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByTestId('count-running').filter({ hasText: /^\d+$/ }).waitFor();
  expect(await page.getByTestId('count-open-incidents').count()).toBe(0);
  expect(await page.getByRole('heading', { name: 'Open incidents' }).count()).toBe(0);
  expect(await page.getByRole('link', { name: 'Approvals', exact: true }).count()).toBe(0);
  await screenshot(page, 'ops-overview-reviewer');

  for (const id of ['strict-rev', 'pausable-rev']) {
    await page.goto(`${url}/#/workflows/${id}`);
    await page.getByRole('heading', { name: id }).waitFor();
    await page.getByRole('img', { name: new RegExp(`Statechart of ${id}`) }).waitFor();
    expect(await page.getByRole('region', { name: 'Operator', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Retry|Resolve|Pause|Resume|Terminate)…$/ }).count()).toBe(0);
  }
  // The incident is in the workflow's own view: shown, read-only.
  await page.goto(`${url}/#/workflows/strict-rev`);
  // It shows that there is one, not its error or kept input (the API keeps those for operators and auditors).
  await page.getByRole('article', { name: 'Incident activity_exhausted' }).getByTestId('incident-restricted').waitFor();
  expect(await page.getByTestId('incident-error').count()).toBe(0);
  await screenshot(page, 'ops-workflow-reviewer');
  await page.goto(`${url}/#/approvals`);
  await page.getByText('Approvals are for operators and auditors.').waitFor();
  // Let a poll or two go by: still nothing refused.
  await page.waitForTimeout(2500);
  expect(refused['rev-1'] ?? []).toEqual([]);
});
