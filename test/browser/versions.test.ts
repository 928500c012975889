import { waitFor } from '../support/env';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { scoredV1, scoredV3 } from '../support/scored-definitions';
import { assertConsoleBuilt, launchBrowser, screenshot, signedInPage, type Browser } from './browser';

// The definition page of a type with two versions: the versions with their live instances, and
// the impact report of the newer one on the older one's instances, read by an operator.

jest.setTimeout(120_000);

let h: HttpHarness;
let browser: Browser;
let ops: string;

beforeAll(async () => {
  assertConsoleBuilt();
  h = await startHttpApp('versions_console', [scoredV1, scoredV3]);
  ops = await h.createKey({ id: 'ops-v', roles: ['operator'] });
  const as = h.as(ops);
  for (const id of ['fresh-1', 'scored-1']) expect((await as('POST', '/v1/workflows', { type: 'test-scored', version: 1, workflowId: id, input: {} })).status).toBe(201);
  expect((await as('POST', '/v1/workflows/scored-1/events', { type: 'check.done', score: 80 })).status).toBe(200);
  await waitFor(async () => (await as('GET', '/v1/workflows/scored-1')).body.state === 'reviewing', 'the scored instance to reach review');
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

test('an operator sees the versions with their live instances and the impact of the newer version on them', async () => {
  const page = await signedInPage(browser.context, h.url, ops, 'ops-v');
  await page.goto(`${h.url}/#/definitions/test-scored/3`);
  const versions = page.getByRole('table', { name: 'Versions of test-scored' });
  await versions.getByRole('row', { name: /v1\s*active\s*running here\s*2\s*2/ }).waitFor();
  await versions.getByRole('row', { name: /v3\s*new starts\s*active/ }).waitFor();
  await page.getByRole('button', { name: 'Impact of v3' }).click();
  const report = page.getByRole('region', { name: 'Impact of version 3' });
  await report.getByTestId('impact-summary').filter({ hasText: 'v3 over 2 live instances of v1: 1 identical, 1 diverge, 0 incompatible' }).waitFor();
  await report.getByRole('table', { name: 'Impact by current state' }).getByRole('row', { name: /reviewing\s*0\s*1\s*0/ }).waitFor();
  const changed = report.getByRole('list', { name: 'Instances taken differently' });
  await changed.getByText(/diverges at #\d+ event\.received check\.done: recorded reviewing, v3 rejected/).waitFor();
  await changed.getByRole('link', { name: 'scored-1' }).waitFor();
  await page.getByRole('img', { name: 'Statechart of test-scored version 3' }).waitFor();
  await screenshot(page, 'definition-impact');
});

test("an operator moves a workflow back to an earlier state from its page, with a reason that goes into its history", async () => {
  const page = await signedInPage(browser.context, h.url, ops, 'ops-v');
  await page.goto(`${h.url}/#/workflows/scored-1`);
  await page.getByTestId('workflow-state').filter({ hasText: 'reviewing' }).waitFor();
  await page.getByLabel('Move to state').selectOption('checking');
  await page.getByRole('button', { name: 'Move…' }).click();
  await page.getByLabel('Reason to move').fill('the score was entered for the wrong applicant');
  await page.getByRole('button', { name: 'Confirm move' }).click();
  await page.getByRole('status').getByText('Moved to checking').waitFor();
  await page.getByTestId('workflow-state').filter({ hasText: 'checking' }).waitFor();
  await page.getByRole('list', { name: 'History' }).getByText('workflow.moved').waitFor();
  await screenshot(page, 'workflow-moved');
  const record = (await h.as(ops)('GET', '/v1/workflows/scored-1/history')).body.items.find((r: any) => r.kind === 'workflow.moved');
  expect(record).toMatchObject({ reason: 'the score was entered for the wrong applicant', stateAfter: 'checking', actor: 'principal:ops-v' });
});
