import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DefinitionsController } from './api/definitions.controller';
import { HealthController } from './api/health.controller';
import { ENGINE, QUERIES, REGISTRY } from './api/tokens';
import { TaskService } from './engine/loop/task-service';
import { TaskQueries } from './tasks/task-queries';
import { TASK_QUERIES, TASK_SERVICE, TasksController } from './tasks/tasks.controller';
import { WorkflowsController } from './api/workflows.controller';
import { AdminController, authProviders } from './auth/auth.providers';
import { AuditController } from './audit/audit.controller';
import { SecurityEventLog } from './audit/security-events';
import { RefusalRecorder } from './api/refusal-recorder';
import { DefinitionCoverage } from './engine/dispatch/definition-coverage';
import { DiagramsController } from './diagrams/diagrams.controller';
import { ConsoleModule } from './console/console.module';
import type { AppConfig } from './config/config';
import type { WorkflowDefinition } from './engine/definition/definition';
import type { DefinitionRegistry } from './engine/definition/registry';
import { EngineRuntime } from './engine/runtime';
import { slaRules } from './engine/definition/sla';
import { Observability } from './observability/observability';
import { ObservabilityModule } from './observability/observability.module';
import { dataSourceOptions } from './persistence/data-source';
import { WorkflowQueries } from './persistence/workflow-queries';
import { BatchOperations } from './operations/batches';
import { BatchOperationsController } from './operations/batch-operations.controller';
import { IncidentQueries } from './operations/incident-queries';
import { IncidentsController } from './operations/incidents.controller';
import { OperationsRunner } from './operations/operations-runner';
import { OperatorApprovalsController } from './operations/operator-approvals.controller';
import { OperatorService } from './operations/operator-service';
import { BATCHES, INCIDENT_QUERIES, OPERATIONS_RUNNER, OPERATOR_SERVICE } from './operations/tokens';
import { ChangePublisher, changesChannel, fanOut } from './live/change-publisher';
import { LiveController } from './live/live.controller';
import { LiveFeed } from './live/live-feed';
import { DefinitionCatalog } from './versions/definition-catalog';
import { Schedules } from './schedules/schedules';
import { Retention } from './operations/retention';
import { Calendars } from './engine/definition/calendars';
import { SchedulesController } from './schedules/schedules.controller';

const RUNTIME = Symbol('EngineRuntime');

/** Starts the engine's workers and sweeper with the application, and stops them before the pool closes. */
class EngineLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: EngineRuntime,
    @Inject(OPERATIONS_RUNNER) private readonly operations: OperationsRunner,
    @Inject(DefinitionCatalog) private readonly catalog: DefinitionCatalog,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // What this deployment registers is recorded before it runs anything: a version that later
    // leaves the deployment keeps its diagram and its lifecycle.
    await this.catalog.record();
    await this.runtime.start();
    this.operations.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.operations.stop();
    await this.runtime.stop();
  }
}

@Module({})
export class AppModule {
  /** ROLE=api serves HTTP only; ROLE=worker runs workers and the sweeper only; ROLE=all both. */
  static forRoot(config: AppConfig, definitions: readonly WorkflowDefinition[]): DynamicModule {
    const serveHttp = config.ROLE !== 'worker';
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.APP_DATABASE_URL, config.DATABASE_POOL_SIZE), retryAttempts: 2, retryDelay: 1000 }),
        // Metrics, JSON logs, the SLA monitor and the health checks' terminus.
        ObservabilityModule.forRoot(config),
        // The web console at / and its read endpoints: HTTP processes only.
        ...(serveHttp ? [ConsoleModule] : []),
      ],
      controllers: serveHttp
        ? [WorkflowsController, DefinitionsController, HealthController, AdminController, TasksController, AuditController, DiagramsController, IncidentsController, BatchOperationsController, OperatorApprovalsController, LiveController, SchedulesController]
        : [],
      providers: [
        {
          provide: RUNTIME,
          inject: [DataSource, Observability, ChangePublisher],
          useFactory: (dataSource: DataSource, observability: Observability, changes: ChangePublisher) =>
            observability.attach(new EngineRuntime({
              dataSource,
              redisUrl: config.REDIS_URL,
              queuePrefix: config.QUEUE_PREFIX,
              definitions,
              workers: config.ROLE !== 'api',
              idempotencyTtlMs: config.IDEMPOTENCY_TTL_HOURS * 3600 * 1000,
              sweepIntervalMs: config.SWEEP_INTERVAL_MS,
              localTimerHorizonMs: config.LOCAL_TIMER_HORIZON_MS,
              worker: {
                lockDurationMs: config.LOCK_DURATION_MS,
                stalledIntervalMs: config.STALLED_INTERVAL_MS,
                concurrency: { activities: config.ACTIVITY_CONCURRENCY, timers: config.TIMER_CONCURRENCY, effects: 8, events: 8 },
                eagerActivities: config.EAGER_ACTIVITIES,
              },
              log: observability.engineLog,
              telemetry: fanOut(observability.telemetry, changes.telemetry),
              calendars: new Calendars(config.CALENDARS),
            }), dataSource),
        },
        { provide: ENGINE, inject: [RUNTIME], useFactory: (r: EngineRuntime) => r.engine },
        { provide: REGISTRY, inject: [RUNTIME], useFactory: (r: EngineRuntime) => r.registry },
        {
          provide: QUERIES,
          inject: [DataSource, REGISTRY],
          useFactory: (ds: DataSource, registry: DefinitionRegistry) => new WorkflowQueries(ds, { slaRules: slaRules(registry.all()), retryAlertMs: config.ACTIVITY_RETRY_ALERT_MS }),
        },
        { provide: TASK_SERVICE, inject: [DataSource, RUNTIME], useFactory: (ds: DataSource, r: EngineRuntime) => new TaskService(ds, r.engine) },
        { provide: TASK_QUERIES, inject: [DataSource], useFactory: (ds: DataSource) => new TaskQueries(ds) },
        { provide: SecurityEventLog, inject: [DataSource], useFactory: (ds: DataSource) => new SecurityEventLog(ds) },
        {
          provide: DefinitionCoverage,
          inject: [DataSource, RUNTIME, Observability],
          useFactory: (ds: DataSource, r: EngineRuntime, o: Observability) => new DefinitionCoverage(ds, r.registry, (message, fields) => o.logger.warn(fields, message)),
        },
        {
          provide: RefusalRecorder,
          inject: [DataSource, RUNTIME, SecurityEventLog],
          useFactory: (ds: DataSource, r: EngineRuntime, log: SecurityEventLog) => new RefusalRecorder(ds, r.engine, log),
        },
        { provide: INCIDENT_QUERIES, inject: [DataSource], useFactory: (ds: DataSource) => new IncidentQueries(ds) },
        {
          provide: BATCHES,
          inject: [DataSource, RUNTIME, QUERIES],
          useFactory: (ds: DataSource, r: EngineRuntime, q: WorkflowQueries) => new BatchOperations(ds, r.engine, r.operations, q),
        },
        {
          provide: OPERATOR_SERVICE,
          inject: [DataSource, RUNTIME, BATCHES],
          useFactory: (ds: DataSource, r: EngineRuntime, b: BatchOperations) =>
            new OperatorService(ds, r.engine, r.operations, b, { dualControl: config.DUAL_CONTROL, approvalTtlMs: config.OPERATOR_APPROVAL_TTL_HOURS * 3600 * 1000 }),
        },
        {
          provide: OPERATIONS_RUNNER,
          inject: [RUNTIME, BATCHES, OPERATOR_SERVICE, Observability, Schedules, DataSource],
          useFactory: (r: EngineRuntime, b: BatchOperations, o: OperatorService, obs: Observability, s: Schedules, ds: DataSource) =>
            new OperationsRunner(r.operations, b, o, { intervalMs: config.OPERATIONS_INTERVAL_MS, log: obs.engineLog }, s, new Retention(ds, r.registry, { defaultDays: config.RETENTION_ENDED_DAYS, intervalMs: config.RETENTION_INTERVAL_MS })),
        },
        EngineLifecycle,
        {
          provide: Schedules,
          inject: [DataSource, RUNTIME, Observability],
          useFactory: (ds: DataSource, r: EngineRuntime, o: Observability) => new Schedules(ds, r.engine, (message, fields) => o.logger.warn(fields, message), new Calendars(config.CALENDARS)),
        },
        {
          provide: DefinitionCatalog,
          inject: [DataSource, RUNTIME, Observability],
          useFactory: (ds: DataSource, r: EngineRuntime, o: Observability) => new DefinitionCatalog(ds, r.registry, (message, fields) => o.logger.warn(fields, message)),
        },
        // Which instances each commit changed, for the HTTP processes' live streams.
        { provide: ChangePublisher, useFactory: () => new ChangePublisher(config.REDIS_URL, changesChannel(config.QUEUE_PREFIX)) },
        ...(serveHttp
          ? [
              {
                provide: LiveFeed,
                inject: [DataSource, Observability],
                useFactory: (ds: DataSource, o: Observability) => new LiveFeed(ds, config.REDIS_URL, changesChannel(config.QUEUE_PREFIX), (message: string, err: unknown) => o.logger.warn({ err }, message)),
              },
            ]
          : []),
        // API keys: the global auth guard, the admin's and the development principals.
        ...(serveHttp ? authProviders(config) : []),
      ],
    };
  }
}
