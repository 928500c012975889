import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_SCHEMA_PATH, renderClientSchema } from '../../scripts/client-schema';
import { startHttpApp, type HttpHarness } from '../support/http-app';

let app: HttpHarness;
beforeAll(async () => {
  // The app as `npm run client:generate` starts it: the definitions of machines/ only.
  app = await startHttpApp('client_schema');
}, 60_000);
afterAll(() => app?.close());

test('the committed typed client is what openapi-typescript makes of the document the app serves', async () => {
  const document = (await (await fetch(`${app.url}/docs-json`)).json()) as object;
  const generated = await renderClientSchema(document);
  const committed = readFileSync(path.join(__dirname, '..', '..', CLIENT_SCHEMA_PATH), 'utf8');
  if (committed !== generated) {
    const lines = [committed.split('\n'), generated.split('\n')];
    const at = lines[0].findIndex((line, i) => line !== lines[1][i]);
    throw new Error(
      `${CLIENT_SCHEMA_PATH} is out of date with the OpenAPI document: run \`npm run client:generate\` and commit the result.\n` +
        `first difference at line ${at + 1}:\n  committed: ${lines[0][at]}\n  generated: ${lines[1][at]}`,
    );
  }
});
