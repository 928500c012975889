import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import type { WorkflowDefinition } from './definition/definition';
import { OutboxRelay, type RelayOptions } from './dispatch/outbox-relay';
import { QueueSet } from './dispatch/queues';
import { DefinitionRegistry } from './definition/registry';
import { EngineWorkers, type WorkerOptions } from './workers/workers';
import { InputBatcher } from './workers/input-batcher';
import { LocalTimers } from './workers/local-timers';
import type { EngineTelemetry } from './telemetry/telemetry';
import { WorkflowEngine } from './loop/workflow-engine';
import { OperatorActions } from './loop/operator-actions';
import { isTransient } from './store/sql';
import { assertCalendarsKnown, type Calendars } from './definition/calendars';

export interface RuntimeOptions {
  dataSource: DataSource;
  redisUrl: string;
  queuePrefix: string;
  definitions: readonly WorkflowDefinition[];
  /** Run BullMQ workers and the sweeper in this process (ROLE=worker or all). */
  workers: boolean;
  idempotencyTtlMs?: number;
  sweepIntervalMs?: number;
  relay?: Partial<Omit<RelayOptions, 'log'>>;
  worker?: Partial<Omit<WorkerOptions, 'log'>>;
  /** Activity results and timer fires applied together in one transaction, at most this many (1: one each). */
  maxBatch?: number;
  /** Timers due within this long are also held in the process that set them and fired from memory (0: BullMQ only). */
  localTimerHorizonMs?: number;
  /** At most this many timers held in memory per process. */
  maxLocalTimers?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Told of every committed step, activity attempt and fired timer (metrics). */
  telemetry?: EngineTelemetry;
  /** Business calendars for timers in business days (default: the shipped TARGET2 and DE). */
  calendars?: Calendars;
}

/** The engine with its queues, workers and sweeper, started and stopped as one. */
export class EngineRuntime {
  readonly registry: DefinitionRegistry;
  readonly engine: WorkflowEngine;
  readonly relay: OutboxRelay;
  readonly queues: QueueSet;
  /** Pause, resume, terminate; retry and resolve incidents. */
  readonly operations: OperatorActions;
  private readonly redis: Redis;
  private workers?: EngineWorkers;
  /** Timers this process set and fires from memory; their BullMQ jobs are the backstop. */
  readonly localTimers: LocalTimers;
  private readonly inputs: InputBatcher;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;
  private stopped = false;

  constructor(private readonly options: RuntimeOptions) {
    const log = options.log ?? stderrLog;
    this.registry = new DefinitionRegistry(options.definitions);
    if (options.calendars) this.registry.calendars = options.calendars;
    assertCalendarsKnown(options.definitions, this.registry.calendars);
    this.registry.validate();
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    // ioredis reconnects by itself; say so once per outage instead of once per attempt.
    let down = false;
    this.redis.on('error', (err: Error) => {
      if (!down) log('redis connection lost; reconnecting', { error: err.message });
      down = true;
    });
    this.redis.on('ready', () => (down = false));
    this.queues = new QueueSet(this.redis, options.queuePrefix);
    this.relay = new OutboxRelay(options.dataSource, this.queues, this.registry, {
      outboxGraceMs: 2000,
      staleActivityMs: 60_000,
      overdueTimerMs: 10_000,
      redisTimeoutMs: 5000,
      ...options.relay,
      // An activity whose every attempt ran without its last outcome recorded: an incident, never another set of attempts.
      spent: (job, lastError) =>
        this.engine
          .openIncidentFor(job.workflowId, 'activity_exhausted', { name: 'AttemptsSpent', message: `every attempt of activity ${job.activityId} (${job.src}) ran and the last outcome was not recorded` }, {
            kind: 'activity',
            job,
            result: { ok: false, error: lastError ?? { name: 'AttemptsSpent', message: 'attempts spent' }, attempts: job.attemptsBefore, worker: 'sweeper' },
          })
          .then(() => undefined),
      log,
    });
    this.engine = new WorkflowEngine(options.dataSource, this.registry, this.relay, {
      idempotencyTtlMs: options.idempotencyTtlMs ?? 24 * 3600 * 1000,
      telemetry: options.telemetry,
      log,
    });
    this.operations = new OperatorActions(options.dataSource, this.engine);
    // Two transactions in flight keep both the database and this process busy; more would
    // only make the batches smaller.
    this.inputs = new InputBatcher(this.engine, { maxBatch: options.maxBatch ?? 32, inFlight: 2 });
    this.localTimers = new LocalTimers(
      (job, expiresAt) => this.inputs.submit({ kind: 'timer', job }, expiresAt),
      (jobId) => this.queues.queues.timers.remove(jobId),
      { horizonMs: options.localTimerHorizonMs ?? 60_000, maxHeld: options.maxLocalTimers ?? 10_000, log },
    );
    this.engine.useLocalTimers(this.localTimers);
    if (options.workers) {
      this.workers = new EngineWorkers(this.engine, this.registry, this.redis, options.queuePrefix, {
        concurrency: { activities: 16, timers: 8, effects: 8, events: 8 },
        eagerActivities: 64,
        lockDurationMs: 30_000,
        stalledIntervalMs: 15_000,
        ...options.worker,
        log,
      }, this.queues, this.inputs);
      this.engine.useEagerDispatch(this.workers);
    }
  }

  async start(): Promise<void> {
    this.localTimers.start();
    if (!this.workers) return;
    // Sweep once before taking work, so a Redis that lost data is refilled at boot.
    await this.bootSweep();
    this.workers.start();
    this.scheduleSweep();
  }

  /**
   * The boot sweep, retried while PostgreSQL drops connections (a restart, a failover, an
   * administrator's pg_terminate_backend): a worker must not die of what it would survive a
   * second later. After five tries it starts anyway; the periodic sweep does the same work, and
   * nothing is lost meanwhile (the outbox and the instance rows are the record).
   */
  private async bootSweep(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.relay.sweep();
        return;
      } catch (err) {
        if (!isTransient(err) || this.stopped) throw err;
        if (attempt >= 5) {
          this.options.log?.('boot sweep failed; the periodic sweep will retry', { error: (err as Error).message });
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /** One sweep now (tests use it to avoid waiting for the interval). */
  async sweepNow(): Promise<void> {
    await this.relay.sweep();
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.relay
        .sweep()
        .catch((err) => this.options.log?.('sweep failed', { error: (err as Error).message }))
        .finally(() => this.scheduleSweep());
    }, this.options.sweepIntervalMs ?? 5000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.localTimers.stop();
    clearTimeout(this.sweepTimer);
    await this.sweeping;
    await this.workers?.close();
    await this.relay.flushSent();
    if (this.redis.status === 'ready') {
      await this.queues.close();
      await this.redis.quit().catch(() => undefined);
    } else {
      this.redis.disconnect();
    }
  }
}

function stderrLog(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: message, ...fields })}\n`);
}
