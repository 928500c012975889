import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { DEFAULT_CANCEL_EVENT } from '../../../src/engine';
import { query } from '../../../src/engine/store/sql';
import { SandboxClient } from '../../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server';
import { startHarness, type Harness } from '../../support/harness';
import { signalOrDecide } from '../../support/decide';
import { planCoverage, type CoveragePlan, type ModelPath } from '../../../src/testing/coverage';
import type { ModelScenario } from './scenario';

const ACTOR = { actor: 'test:model', origin: { requestId: 'model-run' } };
const ACCEPTED_KINDS = `kind <> 'workflow.started' AND outcome = 'accepted'`;

export interface ModelRun {
  plan: CoveragePlan;
  failures: { path: number; events: string[]; error: string }[];
  close(): Promise<void>;
}

/** Plans paths covering every transition of the scenario's machine and runs each on the real engine. */
export async function runModel(scenario: ModelScenario, concurrency = 6): Promise<ModelRun> {
  const sandbox: RunningSandbox = await startSandbox({ port: 0 });
  const partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5000 });
  const definitions = scenario.definitions({ partners });
  const definition = definitions.find((d) => d.type === scenario.type);
  if (!definition) throw new Error(`scenario ${scenario.type} registers no definition of that type`);
  const h = await startHarness(`model_${scenario.type}`, definitions, { worker: { lockDurationMs: 5000, stalledIntervalMs: 1000, concurrency: { activities: 32, timers: 8, effects: 8, events: 8 } } });
  const plan = planCoverage(definition.machine, scenario);
  const covered = plan.transitions.length - plan.uncovered.length;
  process.stdout.write(`model ${scenario.type}: ${covered}/${plan.transitions.length} transitions covered by ${plan.paths.length} paths\n`);

  const failures: ModelRun['failures'] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.paths.length) {
      const index = next++;
      const path = plan.paths[index];
      try {
        await runPath(h, partners, scenario, definition.cancelEvent ?? DEFAULT_CANCEL_EVENT, path, index);
      } catch (err) {
        failures.push({ path: index, events: path.steps.map((s) => s.event.type), error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.paths.length) }, worker));
  return {
    plan,
    failures,
    async close() {
      await h.close();
      await sandbox.close();
    },
  };
}

async function runPath(h: Harness, partners: SandboxClient, scenario: ModelScenario, cancelEvent: string, path: ModelPath, index: number): Promise<void> {
  const workflowId = `${scenario.type}-p${index}-${randomBytes(3).toString('hex')}`;
  await scenario.prepare?.(path.input, { workflowId, partners });
  // Activities start as soon as their state is entered, so every answer is scripted up front, in path order.
  let before = path.initial;
  for (const [i, step] of path.steps.entries()) {
    if (/^xstate\.(done|error)\.actor\./.test(step.event.type)) {
      await scenario.arrange?.(step.event, { workflowId, partners, snapshot: before, upcoming: path.steps.slice(i + 1).map((s) => s.event) });
    }
    before = step.state;
  }
  await h.runtime.engine.start({ type: scenario.type, workflowId, input: path.input }, ACTOR);
  await expectState(h, workflowId, path.initial, 0, []);
  for (let i = 0; i < path.steps.length; i++) {
    const { event, state } = path.steps[i];
    if (event.type.startsWith('xstate.after.')) await fireTimer(h, workflowId, event.type);
    else if (event.type === cancelEvent) {
      // A refusal is the machine's answer to the event, taken like any other.
      await h.runtime.engine.cancel(workflowId, ACTOR).catch((err: { code?: string }) => {
        if (err.code !== 'cancellation_refused') throw err;
      });
    }
    else if (!event.type.startsWith('xstate.')) await signalOrDecide(h, workflowId, event, ACTOR);
    await expectState(h, workflowId, state, i + 1, path.steps.slice(0, i + 1).map((s) => s.event.type));
  }
}

/**
 * Waits until the instance has accepted at least `accepted` events, then checks that the
 * first ones are the path's and that the state after the last of them is the model's. An
 * activity may finish before the runner looks (or after a path's last step): later events
 * are not this step's business.
 */
async function expectState(h: Harness, workflowId: string, model: AnyMachineSnapshot, accepted: number, events: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [row] = await query(h.db.dataSource, `SELECT status, output, history_seq FROM workflow_instance WHERE id = $1`, [workflowId]);
    const taken = await query<{ event: EventObject; state_after: unknown; kind: string; seq: number }>(
      h.db.dataSource,
      `SELECT event, state_after, kind, seq FROM workflow_history WHERE workflow_id = $1 AND (kind = 'workflow.started' OR (${ACCEPTED_KINDS})) ORDER BY seq`,
      [workflowId],
    );
    const types = taken.slice(1).map((t) => t.event?.type ?? '?');
    if (types.length >= accepted && taken.length > 0) {
      if (!isDeepStrictEqual(types.slice(0, accepted), events)) throw new Error(`accepted [${types.join(', ')}], the model took [${events.join(', ')}]`);
      const after = taken[accepted].state_after;
      if (!isDeepStrictEqual(after, model.value)) {
        throw new Error(`after [${events.join(', ')}] expected state ${JSON.stringify(model.value)}, the history says ${JSON.stringify(after)}`);
      }
      if (types.length === accepted) {
        // The row must be at least as new as the last accepted record, or it shows an earlier moment.
        if (!row || row.history_seq < taken[accepted].seq) {
          await new Promise((r) => setTimeout(r, 40));
          continue;
        }
        checkStatus(row, model);
      }
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`after [${events.join(', ')}] expected state ${JSON.stringify(model.value)}; the workflow accepted only [${types.join(', ')}]`);
    }
    await new Promise((r) => setTimeout(r, 40));
  }
}

function checkStatus(row: { status: string; output: any }, model: AnyMachineSnapshot): void {
  const done = model.status === 'done';
  // A final state tagged `failed` ends the workflow `failed`, on purpose.
  const ended = model.hasTag('failed') ? ['failed'] : ['completed', 'cancelled'];
  const ok = done ? ended.includes(row.status) : ['running', 'waiting'].includes(row.status);
  if (!ok) throw new Error(`model status ${model.status}, workflow status ${row.status}`);
  const expected = (model.output as { outcome?: unknown } | undefined)?.outcome;
  if (done && expected !== undefined && row.output?.outcome !== expected) {
    throw new Error(`model outcome ${String(expected)}, workflow output ${JSON.stringify(row.output)}`);
  }
}

/** Fires a durable timer now by promoting its BullMQ delayed job: the real path, without the wait. */
async function fireTimer(h: Harness, workflowId: string, eventType: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [timer] = await query(h.db.dataSource, `SELECT id FROM timer WHERE workflow_id = $1 AND status = 'scheduled' AND event->>'type' = $2`, [workflowId, eventType]);
    const job = timer ? await h.runtime.queues.queues.timers.getJob(`t-${timer.id}`) : undefined;
    if (job && (await job.getState()) === 'delayed') {
      await job.promote();
      return;
    }
    if (Date.now() > deadline) throw new Error(`no scheduled timer ${eventType} for ${workflowId}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
