import { createDataSource } from '../../src/persistence/data-source';
import type { DataSource } from 'typeorm';

// A pooled connection whose backend is terminated while it is lent out and nobody listens on
// it emits 'error'; with no listener Node ends the process (a ROLE=worker process died of one
// under repeated pg_terminate_backend). The pool's connections keep a listener for life: the
// process lives, and the dead connection's next query fails instead.

let ds: DataSource;
beforeAll(async () => {
  ds = createDataSource('postgres://postgres@127.0.0.1:5432/postgres', 2);
  await ds.initialize();
});
afterAll(() => ds?.destroy());

test('a lent-out connection terminated by the server does not end the process; its next query fails', async () => {
  const pool = (ds.driver as unknown as { master: { connect(): Promise<any> } }).master;
  const client = await pool.connect();
  try {
    await lentOutAndTerminated(pool, client);
  } finally {
    client.release(new Error('terminated'));
  }
  // The pool goes on with a fresh connection.
  expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
});

async function lentOutAndTerminated(pool: { connect(): Promise<any> }, client: any): Promise<void> {
  // Someone listens while it is lent out: without that, the event below ends the process (jest
  // only logs it, which is why this is asserted and not left to the crash).
  expect(client.listenerCount('error')).toBeGreaterThan(0);
  const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
  const other = await pool.connect();
  await other.query('SELECT pg_terminate_backend($1)', [pid]);
  other.release();
  // The server's FATAL message arrives while the client is idle: an 'error' event.
  await new Promise((r) => setTimeout(r, 300));
  await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminat/);
}
