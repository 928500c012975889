// The physical limit: how many transactions of the shape one Statera transition needs this
// PostgreSQL commits per second, with no engine, no XState, no Redis in the way. Tables and
// indexes mirror the engine's (instance, activity, history, outbox); each client works on
// instances of its own, as concurrent workflows do.
import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { createDatabase, dropDatabase, trackCloser } from '../infra';

const INSTANCES_PER_CLIENT = 50;
const SNAPSHOT = { value: 'step3', context: { n: 1, last: { step: 2, n: 1, ok: true } }, pad: 'x'.repeat(1900) }; // ~2 KB
const RECORD = { event: { type: 'xstate.done.actor.step2', output: { step: 2, ok: true } }, pad: 'y'.repeat(400) }; // ~500 B

const SCHEMA = [
  `CREATE TABLE instance (id text PRIMARY KEY, status text NOT NULL, state_value jsonb NOT NULL, state_paths text[] NOT NULL,
     snapshot jsonb NOT NULL, version int NOT NULL, history_seq int NOT NULL, history_head text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX instance_status ON instance (status, created_at DESC)`,
  `CREATE INDEX instance_state ON instance USING gin (state_paths)`,
  `CREATE TABLE activity (id uuid PRIMARY KEY, workflow_id text NOT NULL, child_id text NOT NULL, input jsonb, status text NOT NULL,
     idempotency_key text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX activity_open ON activity (workflow_id, child_id) WHERE status = 'scheduled'`,
  `CREATE TABLE history (workflow_id text NOT NULL, seq int NOT NULL, recorded_at timestamptz NOT NULL, kind text NOT NULL,
     data jsonb, prev_hash text NOT NULL, hash text NOT NULL, PRIMARY KEY (workflow_id, seq))`,
  `CREATE INDEX history_time ON history (recorded_at)`,
  `CREATE TABLE outbox (id bigserial PRIMARY KEY, workflow_id text NOT NULL, queue text NOT NULL, job_id text NOT NULL,
     payload jsonb NOT NULL, run_at timestamptz NOT NULL, dispatched_at timestamptz)`,
  `CREATE INDEX outbox_pending ON outbox (id) WHERE dispatched_at IS NULL`,
];

export interface LimitResult {
  commitsPerSecond: number;
  clients: number;
}

export class PgLimit {
  private untrack: () => void = () => undefined;

  private constructor(
    readonly database: { name: string; url: string },
    private readonly pool: Pool,
    readonly clients: number,
  ) {}

  static async create(kind: string, clients: number): Promise<PgLimit> {
    const database = await createDatabase(`${kind}_limit`);
    const pool = new Pool({ connectionString: database.url, max: clients, application_name: 'statera-bench-limit' });
    for (const statement of SCHEMA) await pool.query(statement);
    const limit = new PgLimit(database, pool, clients);
    limit.untrack = trackCloser(() => limit.close());
    return limit;
  }

  /** Every client commits transitions back to back for `durationMs`; the rate of all of them. */
  async measure(durationMs: number, tag: string): Promise<LimitResult> {
    const until = performance.now() + durationMs;
    const counts = await Promise.all(
      Array.from({ length: this.clients }, async (_, k) => {
        const c = await this.pool.connect();
        try {
          const ids = Array.from({ length: INSTANCES_PER_CLIENT }, (_, j) => `${tag}-${k}-${j}`);
          await c.query(
            `INSERT INTO instance (id, status, state_value, state_paths, snapshot, version, history_seq, history_head)
             SELECT unnest($1::text[]), 'running', '"step1"', '{step1}', $2, 0, 0, 'genesis'`,
            [ids, SNAPSHOT],
          );
          let done = 0;
          const seq = new Map<string, number>();
          let lastActivity: string | undefined;
          const began = performance.now();
          while (performance.now() < until) {
            const id = ids[done % ids.length];
            lastActivity = await transition(c, id, (seq.get(id) ?? 0) + 1, lastActivity);
            seq.set(id, (seq.get(id) ?? 0) + 2);
            done++;
          }
          return { done, ms: performance.now() - began };
        } finally {
          c.release();
        }
      }),
    );
    const commitsPerSecond = counts.reduce((sum, { done, ms }) => sum + (done / ms) * 1000, 0);
    return { commitsPerSecond, clients: this.clients };
  }

  async close(): Promise<void> {
    this.untrack();
    await this.pool.end().catch(() => undefined);
    await dropDatabase(this.database.name);
  }
}

/**
 * One transition's writes: lock the instance, settle the previous activity, schedule the
 * next, append two hash-chained history records, write the snapshot and one outbox row;
 * commit; then mark the outbox row dispatched, as the relay does after sending it.
 */
async function transition(c: PoolClient, id: string, seq: number, previousActivity: string | undefined): Promise<string> {
  const activityId = randomUUID();
  await c.query('BEGIN');
  try {
    await c.query('SELECT * FROM instance WHERE id = $1 FOR UPDATE', [id]);
    if (previousActivity) await c.query(`UPDATE activity SET status = 'completed', updated_at = now() WHERE id = $1 AND status = 'scheduled'`, [previousActivity]);
    await c.query(`INSERT INTO activity (id, workflow_id, child_id, input, status, idempotency_key) VALUES ($1, $2, 'step', $3, 'scheduled', $4)`, [
      activityId,
      id,
      { step: seq, n: 1 },
      `${id}/step`,
    ]);
    await c.query(
      `INSERT INTO history (workflow_id, seq, recorded_at, kind, data, prev_hash, hash) VALUES ($1, $2, now(), 'activity.completed', $3, $4, $5), ($1, $2 + 1, now(), 'activity.scheduled', $3, $5, $6)`,
      [id, seq, RECORD, `h${seq - 1}`.padEnd(64, '0'), `h${seq}`.padEnd(64, '0'), `h${seq + 1}`.padEnd(64, '0')],
    );
    await c.query(
      `UPDATE instance SET status = 'running', state_value = $2, state_paths = $3, snapshot = $4, version = version + 1, history_seq = $5, history_head = $6, updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(`step${seq % 5}`), [`step${seq % 5}`], SNAPSHOT, seq + 1, `h${seq + 1}`],
    );
    const [{ id: outboxId }] = (
      await c.query(`INSERT INTO outbox (workflow_id, queue, job_id, payload, run_at) VALUES ($1, 'activities', $2, $3, now()) RETURNING id`, [id, activityId, { activityId, input: { step: seq } }])
    ).rows;
    await c.query('COMMIT');
    await c.query('UPDATE outbox SET dispatched_at = now() WHERE id = $1', [outboxId]);
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return activityId;
}
