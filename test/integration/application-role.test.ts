import { Client } from 'pg';
import { approval } from '../support/test-definitions';
import { startHarness, USER, type Harness } from '../support/harness';
import { applicationUrl } from '../../src/config/config';

let h: Harness;
let app: Client;

beforeAll(async () => {
  h = await startHarness('approle', [approval]);
  await h.runtime.engine.start({ type: 'test-approval', workflowId: 'role-1', input: { timeoutMs: 60_000 } }, USER);
  // The application's own connection: the role the migrations created.
  app = new Client({ connectionString: applicationUrl(h.db.url) });
  await app.connect();
});
afterAll(async () => {
  await app?.end();
  await h.close();
});

test("the application's database role reads and appends history but cannot rewrite it, even with the trigger gone", async () => {
  const { rows } = await app.query(`SELECT count(*)::int AS n FROM workflow_history WHERE workflow_id = 'role-1'`);
  expect(rows[0].n).toBeGreaterThan(0);
  await expect(app.query(`UPDATE workflow_history SET reason = 'edited' WHERE workflow_id = 'role-1'`)).rejects.toThrow(/permission denied/);
  await expect(app.query(`DELETE FROM workflow_history WHERE workflow_id = 'role-1'`)).rejects.toThrow(/permission denied/);
  await expect(app.query(`TRUNCATE workflow_history CASCADE`)).rejects.toThrow(/permission denied/);
  await expect(app.query(`ALTER TABLE workflow_history DISABLE TRIGGER USER`)).rejects.toThrow(/must be owner/);
  // It still does its ordinary work on the other tables.
  await app.query(`UPDATE workflow_instance SET updated_at = now() WHERE id = 'role-1'`);
});
