import { createServer, type Server } from 'node:net';
import { createTestDatabase, REDIS_URL, testPrefix, type TestDatabase } from '../support/env';
import { freePort, startMainProcess, stopProcess } from '../support/processes';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('starterr');
});
afterAll(() => db.drop());

test('a busy PORT stops the start with one line that says what to do, not a stack trace', async () => {
  const port = await freePort();
  const taken: Server = await new Promise((resolve) => {
    const s = createServer().listen(port, '127.0.0.1', () => resolve(s));
  });
  try {
    const { child, output } = startMainProcess({
      ROLE: 'api',
      PORT: String(port),
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: testPrefix('starterr'),
      SANDBOX: 'false',
      METRICS_PORT: String(await freePort()),
      SWAGGER: 'false',
      LOG_LEVEL: 'warn',
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    await stopProcess(child);
    expect(code).toBe(1);
    const lines = output().trim().split('\n');
    expect(lines.at(-1)).toBe(`statera: cannot listen on 127.0.0.1:${port} (the port is in use); set PORT to a free port`);
    expect(output()).not.toMatch(/\n\s+at /);
  } finally {
    await new Promise((r) => taken.close(r));
  }
});
