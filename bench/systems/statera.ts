// Statera as a user runs it: workflows started through the engine's `start` (what the REST
// API calls, here in the benchmark process, without HTTP), activities and timers run by
// separate `ROLE=worker` processes on BullMQ, completion read from PostgreSQL.
// The benchmark process connects as the schema owner (it also creates and migrates the
// database); the workers connect as statera_app, as in production.
import type { DataSource } from 'typeorm';
import { EngineRuntime } from '../../src/engine/runtime';
import { createDataSource, migrate } from '../../src/persistence/data-source';
import { definitions, FIVE_STEP, TIMER } from '../definitions';
import { runBounded, runStarts, type Integrity, type ThroughputRun } from '../driver';
import { createDatabase, databaseSizeBytes, deletePrefix, dropDatabase, newPrefix, REDIS_URL, sleep, trackCloser } from '../infra';
import { startWorker, type WorkerProcess } from './worker-process';

const DRIVER = { actor: 'bench:driver' };
const ENDED = ['completed', 'failed', 'cancelled'];

export class StateraSystem {
  readonly workers: WorkerProcess[] = [];
  private readonly poller: CompletionPoller;
  private untrack: () => void = () => undefined;

  private constructor(
    readonly database: { name: string; url: string },
    readonly prefix: string,
    readonly dataSource: DataSource,
    readonly runtime: EngineRuntime,
    private readonly workerNodeArgs: string[],
  ) {
    this.poller = new CompletionPoller(dataSource);
  }

  static async create(kind: string, options: { workerNodeArgs?: string[]; poolSize?: number } = {}): Promise<StateraSystem> {
    const database = await createDatabase(kind);
    const prefix = newPrefix(kind);
    const dataSource = createDataSource(database.url, options.poolSize ?? 16);
    await dataSource.initialize();
    await migrate(dataSource);
    // No workers here: this process plays the API. Its relay hands outbox rows to BullMQ.
    const runtime = new EngineRuntime({ dataSource, redisUrl: REDIS_URL, queuePrefix: prefix, definitions, workers: false });
    await runtime.start();
    const system = new StateraSystem(database, prefix, dataSource, runtime, options.workerNodeArgs ?? []);
    system.untrack = trackCloser(() => system.close());
    return system;
  }

  async addWorker(): Promise<WorkerProcess> {
    const worker = await startWorker({ databaseUrl: this.database.url, queuePrefix: this.prefix, nodeArgs: this.workerNodeArgs });
    this.workers.push(worker);
    return worker;
  }

  async removeWorker(): Promise<void> {
    await this.workers.pop()?.stop();
  }

  async start(type: string, workflowId: string, input: unknown): Promise<void> {
    await this.runtime.engine.start({ type, workflowId, input }, DRIVER);
  }

  /** `count` five-step workflows, at most `inFlight` started and not yet ended. */
  async runFiveStep(count: number, inFlight: number, tag: string): Promise<ThroughputRun> {
    const began = performance.now();
    await runBounded(count, inFlight, async (i) => {
      const id = `${tag}-${i}`;
      await this.start(FIVE_STEP, id, { n: i });
      await this.poller.wait(id);
    });
    const wallMs = performance.now() - began;
    const rows: { ms: number; version: number; status: string }[] = await this.dataSource.query(
      `SELECT extract(epoch FROM ended_at - created_at) * 1000 AS ms, version, status FROM workflow_instance WHERE id LIKE $1`,
      [`${tag}-%`],
    );
    const done = rows.filter((r) => r.status === 'completed');
    const versions = done.map((r) => Number(r.version));
    return {
      system: 'statera',
      completed: done.length,
      failed: rows.length - done.length,
      wallMs,
      latencies: done.map((r) => Number(r.ms)),
      // `version` counts transitions after the start; the start is one more transaction.
      transactionsPerWorkflow: 1 + versions.reduce((a, b) => a + b, 0) / Math.max(1, versions.length),
    };
  }

  /** The run's history checked (see Integrity): one query, after the timed part. */
  async checkIntegrity(tag: string): Promise<Integrity> {
    const [row] = await this.dataSource.query(
      `WITH ended AS (SELECT workflow_id, count(*) AS n FROM workflow_history WHERE workflow_id LIKE $1 AND kind = 'workflow.completed' GROUP BY workflow_id),
            runs AS (SELECT idempotency_key, count(*) AS n FROM workflow_history
                      WHERE workflow_id LIKE $1 AND kind IN ('activity.completed', 'activity.failed', 'activity.attempt.failed', 'activity.result.discarded')
                      GROUP BY idempotency_key)
       SELECT (SELECT count(*) FROM ended)::int AS workflows, (SELECT count(*) FROM ended WHERE n > 1)::int AS completed_twice,
              (SELECT count(*) FROM runs)::int AS keys, (SELECT coalesce(sum(n), 0) FROM runs)::int AS executions,
              (SELECT count(*) FROM runs WHERE n > 1)::int AS keys_run_twice`,
      [`${tag}-%`],
    );
    return { workflows: row.workflows, completedTwice: row.completed_twice, keys: row.keys, executions: row.executions, keysRunTwice: row.keys_run_twice };
  }

  /** Lateness of each 1 s timer: when the engine applied it minus when it was due (ms). */
  async runTimers(count: number, inFlight: number, tag: string, pacingMs?: number): Promise<number[]> {
    await runStarts(count, inFlight, pacingMs, (i) => this.start(TIMER, `${tag}-${i}`, {}));
    const deadline = Date.now() + 60_000 + count * 20;
    for (;;) {
      const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM workflow_instance WHERE id LIKE $1 AND status = ANY($2)`, [`${tag}-%`, ENDED]);
      if (n >= count) break;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${count} timer workflows ended`);
      await sleep(200);
    }
    const rows: { ms: number }[] = await this.dataSource.query(
      `SELECT extract(epoch FROM fired_at - due_at) * 1000 AS ms FROM timer WHERE workflow_id LIKE $1 AND fired_at IS NOT NULL`,
      [`${tag}-%`],
    );
    return rows.map((r) => Number(r.ms));
  }

  async databaseSize(): Promise<number> {
    return databaseSizeBytes(this.database.name);
  }

  async close(): Promise<void> {
    this.untrack();
    this.poller.stop();
    while (this.workers.length > 0) await this.removeWorker();
    await this.runtime.stop().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await dropDatabase(this.database.name);
    await deletePrefix(this.prefix);
  }
}

/**
 * Waits for instances to end by polling their rows by primary key: one small query per
 * interval for everything in flight, so observing costs the database next to nothing.
 */
class CompletionPoller {
  private readonly waiting = new Map<string, () => void>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly everyMs = 10,
  ) {}

  wait(id: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      this.timer ??= setTimeout(() => void this.poll(), this.everyMs);
    });
  }

  private async poll(): Promise<void> {
    try {
      const ids = [...this.waiting.keys()];
      const rows: { id: string }[] = await this.dataSource.query(`SELECT id FROM workflow_instance WHERE id = ANY($1) AND status = ANY($2)`, [ids, ENDED]);
      for (const { id } of rows) {
        this.waiting.get(id)?.();
        this.waiting.delete(id);
      }
    } catch {
      // A passing failure: the next poll asks again.
    }
    this.timer = this.waiting.size > 0 ? setTimeout(() => void this.poll(), this.everyMs) : undefined;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
