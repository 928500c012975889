// DBOS Transact: the same five steps as a DBOS workflow, its system database on the same
// PostgreSQL server. DBOS runs workflows in the process that starts them, so this process
// is both its client and its worker. It needs no application database: the steps touch none.
import { DBOS } from '@dbos-inc/dbos-sdk';
import { Client } from 'pg';
import { runBounded, runStarts, type ThroughputRun } from '../driver';
import { createDatabase, dropDatabase, trackCloser } from '../infra';

type StepOutput = { step: number; n: number; ok: true };

async function fiveStepWorkflow(n: number): Promise<StepOutput | undefined> {
  let last: StepOutput | undefined;
  for (let step = 1; step <= 5; step++) {
    last = await DBOS.runStep(async (): Promise<StepOutput> => ({ step, n, ok: true }), { name: `step${step}` });
  }
  return last;
}

/** A durable 1 s sleep; returns how late it woke (ms), measured around the sleep itself. */
async function timerWorkflow(ms: number): Promise<number> {
  const before = await DBOS.runStep(async () => Date.now(), { name: 'before' });
  await DBOS.sleep(ms);
  const after = await DBOS.runStep(async () => Date.now(), { name: 'after' });
  return after - before - ms;
}

// DBOS wants its functions registered before launch; registering is inert until then.
const fiveStep = DBOS.registerWorkflow(fiveStepWorkflow, { name: 'benchFiveStep' });
const timer = DBOS.registerWorkflow(timerWorkflow, { name: 'benchTimer' });

export class DbosSystem {
  private untrack: () => void = () => undefined;

  private constructor(readonly database: { name: string; url: string }) {}

  static async create(kind: string): Promise<DbosSystem> {
    const database = await createDatabase(`${kind}_dbos`);
    DBOS.setConfig({ name: 'statera-bench', systemDatabaseUrl: database.url, logLevel: 'error' });
    await DBOS.launch();
    const system = new DbosSystem(database);
    system.untrack = trackCloser(() => system.close());
    return system;
  }

  async runFiveStep(count: number, inFlight: number, tag: string): Promise<ThroughputRun> {
    const began = performance.now();
    let failed = 0;
    await runBounded(count, inFlight, async (i) => {
      const handle = await DBOS.startWorkflow(fiveStep, { workflowID: `${tag}-${i}` })(i);
      if ((await handle.getResult())?.step !== 5) failed++;
    });
    const wallMs = performance.now() - began;
    // DBOS's own record of each workflow: created_at and updated_at (ms since the epoch).
    const rows = await this.sql<{ ms: string }>(`SELECT updated_at - created_at AS ms FROM dbos.workflow_status WHERE workflow_uuid LIKE $1 AND status = 'SUCCESS'`, [`${tag}-%`]);
    return { system: 'dbos', completed: count - failed, failed, wallMs, latencies: rows.map((r) => Number(r.ms)) };
  }

  async runTimers(count: number, inFlight: number, tag: string, pacingMs?: number): Promise<number[]> {
    const handles: Promise<number>[] = [];
    await runStarts(count, inFlight, pacingMs, async (i) => {
      const handle = await DBOS.startWorkflow(timer, { workflowID: `${tag}-${i}` })(1000);
      handles.push(handle.getResult());
    });
    return Promise.all(handles);
  }

  private async sql<T>(text: string, params: unknown[]): Promise<T[]> {
    const c = new Client({ connectionString: this.database.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  async close(): Promise<void> {
    this.untrack();
    if (DBOS.isInitialized()) await DBOS.shutdown();
    await dropDatabase(this.database.name);
  }
}
