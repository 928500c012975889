import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_START_TO_CLOSE_TIMEOUT_MS, resolveRetryPolicy, retryDelayMs, type ActivityDefinition, type RetryPolicy } from '../definition/definition';
import { ActivityTimeoutError } from '../errors/activity-timeout.error';
import { DomainError } from '../errors/domain.error';
import { NonRetryableError } from '../errors/non-retryable.error';
import type { EngineInput } from '../loop/engine-inputs';
import { serializeError } from '../store/instance';
import type { EagerDispatch } from '../store/local-work';
import { activityEntry, type ActivityJob, type EffectJob, type EventJob, type TimerJob } from '../store/jobs';
import { withinMs, type QueueSet } from '../dispatch/queues';
import type { DefinitionRegistry } from '../definition/registry';
import type { InputBatcher } from './input-batcher';
import { inSpan } from '../telemetry/spans';
import { isTransient } from '../store/sql';
import type { WorkflowEngine } from '../loop/workflow-engine';

export interface WorkerOptions {
  concurrency: { activities: number; timers: number; effects: number; events: number };
  /** Activities run at once by this process right after the transaction that scheduled them (eager dispatch); 0: all through BullMQ. */
  eagerActivities: number;
  /** BullMQ lock on a running job; a killed worker's job is taken over after it lapses. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** How early BullMQ may hand over a delayed job by its own timing (seen: a few milliseconds). */
const EARLY_HANDOVER_MS = 100;
/** How long a job of an unregistered definition version waits before it is looked at again. */
const PARK_MS = 60_000;
/** How long an activity or effect of a paused workflow waits before it is looked at again. */
const PAUSED_PARK_MS = 2_000;

/** Runs `fn` in a span that continues the trace the job was scheduled in. */
function inJobSpan<T>(name: string, carrier: Record<string, string> | undefined, attributes: Record<string, string | number>, fn: () => Promise<T>): Promise<T> {
  return context.with(propagation.extract(ROOT_CONTEXT, carrier ?? {}), () => inSpan(name, { attributes }, fn));
}

/** BullMQ workers that run activities and effects and feed every result back through the engine. */
export class EngineWorkers implements EagerDispatch {
  private readonly workers: Worker[] = [];
  private running = false;
  /** Eager slots reserved or running. */
  private eagerBusy = 0;
  private readonly eagerRuns = new Set<Promise<void>>();
  private readonly identity = `${hostname()}/${process.pid}`;

  constructor(
    private readonly engine: WorkflowEngine,
    private readonly registry: DefinitionRegistry,
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly options: WorkerOptions,
    private readonly queues: QueueSet,
    /** The process's group commit, shared with the timers it fires from memory. */
    private readonly inputs: InputBatcher,
  ) {}

  start(): void {
    this.running = true;
    const common = {
      connection: this.connection,
      prefix: this.prefix,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      // A crash mid-attempt is not the activity's fault: let it be taken over several times.
      maxStalledCount: 10,
      settings: { backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: { data: unknown }) => this.backoff(attemptsMade, job?.data) },
    };
    const c = this.options.concurrency;
    this.workers.push(
      new Worker<ActivityJob>('activities', (job, token) => this.parkingUnregistered(job, token, () => this.runActivity(job, token)), { ...common, concurrency: c.activities }),
      new Worker<TimerJob>(
        'timers',
        (job, token) => this.parkingUnregistered(job, token, () => inJobSpan('statera.timer', job.data.trace, { 'statera.workflow_id': job.data.workflowId }, () => this.fireTimer(job.data))),
        { ...common, concurrency: c.timers },
      ),
      new Worker<EffectJob>('effects', (job, token) => this.parkingUnregistered(job, token, () => this.runEffect(job, token)), { ...common, concurrency: c.effects }),
      new Worker<EventJob>('events', (job, token) => this.parkingUnregistered(job, token, () => this.runEvent(job.data)), { ...common, concurrency: c.events }),
    );
    for (const w of this.workers) {
      w.on('error', (err) => this.options.log('worker error', { queue: w.name, error: err.message }));
      w.on('failed', (job, err) => {
        this.options.log('job attempt failed', { queue: w.name, jobId: job?.id, ...jobFields(job?.data), attemptsMade: job?.attemptsMade, error: err.message });
        if (w.name === 'activities' && job && job.attemptsMade >= (job.opts.attempts ?? 1)) void this.countSpent(job.data as ActivityJob, job.attemptsMade);
      });
    }
  }

  /**
   * A job BullMQ gave up on counts every attempt it made against the activity, also those whose
   * outcome could not be recorded: the sweeper then sees the budget spent instead of re-sending
   * the activity with a fresh one.
   */
  private async countSpent(data: ActivityJob, attemptsMade: number): Promise<void> {
    await this.engine.countAttempts(data.invocationId, data.attemptsBefore + attemptsMade).catch((err) =>
      this.options.log('could not count the attempts of a failed job', { ...jobFields(data), error: (err as Error).message }),
    );
  }

  /** Stops taking work; eager activities running here finish and report first. */
  async close(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers.length = 0;
    await Promise.all([...this.eagerRuns]);
  }

  /**
   * A job of a definition version this process does not register is parked (delayed again,
   * no attempt spent) for a process that does, or for this one after a deployment: running
   * it here would burn its attempts and the sweeper would re-send it with new ones, forever.
   */
  private async parkingUnregistered(job: Job, token: string | undefined, run: () => Promise<void>): Promise<void> {
    const { type, version } = job.data as { type?: string; version?: number };
    if (type === undefined || version === undefined || this.registry.has(type, version)) {
      try {
        return await run();
      } catch (err) {
        // Timers and events name only their workflow: its row's version is found applying them.
        if (!(err instanceof DomainError && err.code === 'definition_not_found')) throw err;
      }
    }
    this.options.log('job of a definition this process does not register parked', { queue: job.queueName, jobId: job.id, ...jobFields(job.data), parkedForMs: PARK_MS });
    await job.moveToDelayed(Date.now() + PARK_MS, token);
    throw new DelayedError();
  }

  private policyOf(data: any): RetryPolicy {
    const def = this.registry.get(data.type, data.version);
    return resolveRetryPolicy(data.src !== undefined ? def.activities?.[data.src]?.retry : def.effects?.[data.name]?.retry);
  }

  private backoff(attemptsMade: number, data: any): number {
    if (!data?.type || !this.registry.has(data.type, data.version)) return 1000;
    return retryDelayMs(this.policyOf(data), (data.attemptsBefore ?? 0) + attemptsMade);
  }

  /**
   * BullMQ may hand over a delayed job a few milliseconds early: that much is waited out, so
   * a timer does not fire before it is due. A job much earlier than its due time was promoted
   * on purpose (an operator, or a test, firing the timer now), or the hosts' clocks disagree:
   * it is not held back.
   */
  private async fireTimer(data: TimerJob): Promise<void> {
    const early = (data.dueAt ?? 0) - Date.now();
    if (early > 0 && early <= EARLY_HANDOVER_MS) await new Promise((resolve) => setTimeout(resolve, early));
    // The backstop of a timer fired from memory: usually fired already, which one read by key says without a transaction.
    if (data.backstop && (await this.engine.timerFiredAlready(data.timerId))) return;
    await this.inputs.submit({ kind: 'timer', job: data });
  }

  private runActivity(job: Job<ActivityJob>, token: string | undefined): Promise<void> {
    const d = job.data;
    const attributes = { 'statera.workflow_id': d.workflowId, 'statera.type': d.type, 'statera.activity': d.src, 'statera.attempt': d.attemptsBefore + job.attemptsMade + 1 };
    return inJobSpan('statera.activity', d.trace, attributes, () => this.attemptActivity(job, token));
  }

  /**
   * Is the activity or effect still wanted? A closed one is done with; one of a paused workflow
   * waits (no attempt spent) and is looked at again.
   */
  private async wanted(table: 'activity' | 'effect', id: string, job: Job, token: string | undefined): Promise<boolean> {
    const state = await this.engine.dispatchState(table, id);
    if (state === 'closed') return false;
    if (state === 'paused') {
      await job.moveToDelayed(Date.now() + PAUSED_PARK_MS, token);
      throw new DelayedError();
    }
    return true;
  }

  private async attemptActivity(job: Job<ActivityJob>, token: string | undefined): Promise<void> {
    const data = job.data;
    const activity = this.registry.get(data.type, data.version).activities?.[data.src];
    if (!activity) throw new UnrecoverableError(`no activity ${data.src} in ${data.type}@${data.version}`);
    if (!(await this.wanted('activity', data.invocationId, job, token))) return;
    const outcome = await this.attempt(data, activity, data.attemptsBefore + job.attemptsMade + 1, 'queue');
    if (outcome.kind === 'reported') return;
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.message);
    // Rethrown so BullMQ schedules the retry with the policy's backoff.
    if (outcome.stillWanted) throw outcome.error;
  }

  /**
   * One attempt, its final outcome reported through the group commit; a failure that will be
   * tried again is recorded (`retry`, with whether the invocation is still wanted).
   */
  private async attempt(
    data: ActivityJob,
    activity: ActivityDefinition,
    attempt: number,
    dispatch: 'queue' | 'eager',
    ran: () => void = () => undefined,
  ): Promise<{ kind: 'reported' } | { kind: 'failed'; message: string } | { kind: 'retry'; error: Error; retryInMs: number; stillWanted: boolean; limit: number }> {
    const policy = resolveRetryPolicy(activity.retry);
    const limit = data.attemptLimit ?? policy.maximumAttempts;
    const t0 = performance.now();
    const outcome = recordable(
      await attemptWithTimeout(activity.startToCloseTimeoutMs ?? DEFAULT_START_TO_CLOSE_TIMEOUT_MS, (signal) =>
        activity.run(data.input, { workflowId: data.workflowId, activityId: data.activityId, attempt, idempotencyKey: data.idempotencyKey, signal }),
      ),
    );
    ran();
    const observed = (result: 'completed' | 'retrying' | 'failed') =>
      this.engine.telemetry.activityAttempt({ workflowId: data.workflowId, type: data.type, version: data.version, activity: data.src, attempt, outcome: result, durationMs: performance.now() - t0, dispatch });
    if (outcome.ok) {
      observed('completed');
      await this.report({ kind: 'activity', job: data, result: { ok: true, output: outcome.value, worker: this.identity } });
      return { kind: 'reported' };
    }
    const error = serializeError(outcome.error);
    if (isPermanent(outcome.error, policy) || attempt >= limit) {
      observed('failed');
      await this.report({ kind: 'activity', job: data, result: { ok: false, error, attempts: attempt, worker: this.identity } });
      return { kind: 'failed', message: error.message };
    }
    observed('retrying');
    const retryInMs = retryDelayMs(policy, attempt);
    const stillWanted = await reportTransient(() => this.engine.activityAttemptFailed(data, attempt, error, retryInMs, this.identity));
    return { kind: 'retry', error: outcome.error instanceof Error ? outcome.error : new Error(error.message), retryInMs, stillWanted, limit };
  }

  /** Reserves an eager slot (see eager.ts): only while the workers run, and while one is free. */
  claim(): boolean {
    if (!this.running || this.eagerBusy >= this.options.eagerActivities) return false;
    this.eagerBusy++;
    return true;
  }

  release(): void {
    this.eagerBusy--;
  }

  /** Runs a leased activity here; a failure to be retried is handed to BullMQ with its backoff. */
  run(job: ActivityJob): void {
    // The slot bounds the activities running here, not the results waiting for their commit:
    // held until the attempt returns, so the commit that reports it (and leases the next
    // activity of the same workflow) finds it free again.
    let held = true;
    const free = () => {
      if (held) this.eagerBusy--;
      held = false;
    };
    const running = this.runEager(job, free)
      .catch((err) =>
        // The lease lapses and the sweeper sends the activity through BullMQ: at least once still.
        this.options.log('eager activity left to its lease', { ...jobFields(job), error: (err as Error).message }),
      )
      .finally(() => {
        free();
        this.eagerRuns.delete(running);
      });
    this.eagerRuns.add(running);
  }

  private runEager(data: ActivityJob, ran: () => void): Promise<void> {
    const attributes = { 'statera.workflow_id': data.workflowId, 'statera.type': data.type, 'statera.activity': data.src, 'statera.attempt': data.attemptsBefore + 1, 'statera.dispatch': 'eager' };
    return inJobSpan('statera.activity', data.trace, attributes, async () => {
      const activity = this.registry.get(data.type, data.version).activities?.[data.src];
      if (!activity) throw new Error(`no activity ${data.src} in ${data.type}@${data.version}`);
      const outcome = await this.attempt(data, activity, data.attemptsBefore + 1, 'eager', ran);
      if (outcome.kind !== 'retry' || !outcome.stillWanted) return;
      // The attempt's failure is recorded and the row's lease cleared: from here it is BullMQ's, like any retry.
      const next = { ...activityEntry({ ...data, attemptsBefore: data.attemptsBefore + 1 }, outcome.limit), runAt: new Date(Date.now() + outcome.retryInMs) };
      await withinMs(this.queues.apply([next]), HANDOVER_TIMEOUT_MS, 'Redis did not take the retry');
    });
  }

  /**
   * Reports an attempt's outcome. A passing failure (the database away, anything not known to
   * be permanent) is retried here with backoff: letting BullMQ retry the job instead would call
   * the partner again for an attempt that already ran. One that still fails after that, and is
   * not the database being away, opens an incident that keeps the outcome.
   */
  private async report(input: EngineInput): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await this.inputs.submit(input);
        return;
      } catch (err) {
        if (i < REPORT_RETRIES) {
          await new Promise((r) => setTimeout(r, 100 * 2 ** i));
          continue;
        }
        if (isTransient(err) || (err instanceof DomainError && (err.code === 'definition_not_found' || err.code === 'workflow_not_found'))) throw err;
        await this.engine.openIncidentFor(input.job.workflowId, 'engine_error', err, input);
        return;
      }
    }
  }

  private async runEffect(job: Job<EffectJob>, token: string | undefined): Promise<void> {
    const data = job.data;
    const effect = this.registry.get(data.type, data.version).effects?.[data.name];
    if (!effect) throw new UnrecoverableError(`no effect ${data.name} in ${data.type}@${data.version}`);
    if (!(await this.wanted('effect', data.effectId, job, token))) return;
    const policy = resolveRetryPolicy(effect.retry);
    const attempt = data.attemptsBefore + job.attemptsMade + 1;
    const outcome = await attemptWithTimeout(effect.startToCloseTimeoutMs ?? DEFAULT_START_TO_CLOSE_TIMEOUT_MS, (signal) =>
      effect.run(data.params, { workflowId: data.workflowId, effect: data.name, attempt, idempotencyKey: data.idempotencyKey, signal }),
    );
    if (outcome.ok) return reportTransient(() => this.engine.effectFinished(data, true, attempt));
    if (isPermanent(outcome.error, policy) || attempt >= policy.maximumAttempts) {
      await reportTransient(() => this.engine.effectFinished(data, false, attempt, serializeError(outcome.error)));
      throw new UnrecoverableError(serializeError(outcome.error).message);
    }
    if (!(await reportTransient(() => this.engine.effectAttemptFailed(data, attempt, serializeError(outcome.error))))) return;
    throw outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
  }

  private async runEvent(job: EventJob): Promise<void> {
    if (job.op === 'child.finished') await this.engine.childFinished(job.parentId, job.invocationId, job.childWorkflowId, job.outcome);
    else await this.engine.cancelChild(job.childWorkflowId, job.parentId);
  }
}

/** The fields an operator filters logs by: which workflow, of which type, which activity or effect. */
function jobFields(data: unknown): Record<string, unknown> {
  const d = (data ?? {}) as { workflowId?: string; parentId?: string; type?: string; src?: string; name?: string };
  return { workflowId: d.workflowId ?? d.parentId, type: d.type, activity: d.src, effect: d.src === undefined ? d.name : undefined };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** How long handing a failed eager attempt's retry to BullMQ may take before it is left to the lease. */
const HANDOVER_TIMEOUT_MS = 5000;


/** Retries of a report before it is given up (about 6 s in all). */
const REPORT_RETRIES = 6;

/**
 * Records an attempt's bookkeeping, retrying a passing database failure here: letting BullMQ
 * retry the job instead would call the partner again for an attempt that already ran.
 */
async function reportTransient<T>(send: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await send();
    } catch (err) {
      if (i >= REPORT_RETRIES || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }
}

/**
 * An outcome the engine can store: a value that is not plain JSON (a BigInt, a cycle) is a
 * failed attempt the activity cannot pass by being run again, not an error thrown past the
 * count of attempts.
 */
function recordable(outcome: Outcome): Outcome {
  if (!outcome.ok) return outcome;
  try {
    return { ok: true, value: outcome.value === undefined ? null : JSON.parse(JSON.stringify(outcome.value)) };
  } catch (err) {
    return { ok: false, error: new NonRetryableError(`the activity returned a value that is not plain JSON: ${(err as Error).message}`) };
  }
}

/** Runs one attempt; the AbortSignal fires at the timeout and the attempt counts as failed then. */
async function attemptWithTimeout(timeoutMs: number, run: (signal: AbortSignal) => Promise<unknown>): Promise<Outcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      const error = new ActivityTimeoutError(timeoutMs);
      controller.abort(error);
      resolve({ ok: false, error });
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      // A synchronous throw is a failed attempt like a rejection, counted the same way.
      Promise.resolve()
        .then(() => run(controller.signal))
        .then(
        (value): Outcome => ({ ok: true, value }),
        (error): Outcome => ({ ok: false, error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isPermanent(error: unknown, policy: RetryPolicy): boolean {
  if (error && typeof error === 'object' && (error as { nonRetryable?: unknown }).nonRetryable === true) return true;
  const name = error instanceof Error ? error.name : undefined;
  return name !== undefined && policy.nonRetryableErrorTypes.includes(name);
}


