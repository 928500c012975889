import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import type { EngineRuntime } from '../engine/runtime';
import { slaRules } from '../engine/definition/sla';
import { NO_TELEMETRY, type EngineTelemetry } from '../engine/telemetry/telemetry';
import { WorkflowQueries } from '../persistence/workflow-queries';
import { engineLog, loggersFor } from './loggers';
import { EngineMetrics, safeTelemetry } from './metrics';
import { registerScrapeGauges } from './scrape-gauges';
import { SlaMonitor } from './sla-monitor';
import { flushTracing } from './tracing';
import { startWorkerHttp, type WorkerReadiness } from './worker-http';

/**
 * This application's metrics, logger and SLA monitor. The engine runtime is built by the
 * application module; `attach` connects it: telemetry and logs in, queue depths and SLA
 * checks out.
 */
export class Observability implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly logger: Logger;
  /** Undefined with METRICS=false. */
  readonly metrics?: EngineMetrics;
  readonly telemetry: EngineTelemetry;
  readonly engineLog: (message: string, fields?: Record<string, unknown>) => void;
  private monitor?: SlaMonitor;
  private healthRedis?: Redis;
  private workerHttp?: Server;

  constructor(private readonly config: AppConfig) {
    this.logger = loggersFor(config).app;
    this.engineLog = engineLog(this.logger);
    this.metrics = config.METRICS ? new EngineMetrics() : undefined;
    this.telemetry = this.metrics ? safeTelemetry(this.metrics, (err) => this.logger.error({ err }, 'metrics observer failed')) : NO_TELEMETRY;
  }

  /** Wires the runtime in; returns it, so the runtime's factory can end with this call. */
  attach(runtime: EngineRuntime, dataSource: DataSource): EngineRuntime {
    const rules = slaRules(runtime.registry.all());
    if (this.metrics) {
      registerScrapeGauges(this.metrics.registry, {
        dataSource,
        queries: new WorkflowQueries(dataSource, { slaRules: rules, retryAlertMs: this.config.ACTIVITY_RETRY_ALERT_MS }),
        queues: runtime.queues.queues,
        log: (message, fields) => this.logger.warn(fields, message),
      });
    }
    // The monitor runs where the workers run: API processes only answer questions about it.
    if (this.config.ROLE !== 'api') {
      this.monitor = new SlaMonitor({
        dataSource,
        rules,
        intervalMs: this.config.SLA_CHECK_INTERVAL_MS,
        logger: this.logger.child({ component: 'sla' }),
        onBreach: (b) => this.metrics?.slaBreaches.inc({ type: b.type, state: b.state }),
      });
    }
    return runtime;
  }

  /** The SLA monitor, for a test that wants to check now instead of waiting for the interval. */
  get slaMonitor(): SlaMonitor | undefined {
    return this.monitor;
  }

  onApplicationBootstrap(): void {
    this.monitor?.start();
  }

  /** Before the connection pool closes (that happens at application shutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.monitor?.stop();
    this.healthRedis?.disconnect();
    this.workerHttp?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await flushTracing();
  }

  /**
   * ROLE=worker: `/metrics` and `/health` on a port of their own, closed with the application.
   * A port already taken (two workers on one host) costs the metrics, not the worker: said
   * once, loudly, and the worker goes on working.
   */
  async serveWorkerHttp(host: string, port: number, readiness?: WorkerReadiness): Promise<void> {
    try {
      this.workerHttp = await startWorkerHttp(this, host, port, readiness);
      this.logger.info({ host, port }, 'worker metrics and liveness served');
    } catch (err) {
      this.logger.error({ host, port, error: (err as Error).message }, 'worker metrics cannot be served on METRICS_PORT; give each worker on a host its own port');
    }
  }

  /**
   * PING on a connection of its own that fails fast instead of queueing commands while
   * Redis is away (the engine's connection waits for Redis, as BullMQ requires).
   */
  async pingRedis(): Promise<void> {
    this.healthRedis ??= new Redis(this.config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (times) => Math.min(times * 250, 2000),
    }).on('error', () => undefined);
    if (this.healthRedis.status === 'wait') await this.healthRedis.connect();
    const answer = await this.healthRedis.ping();
    if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
  }
}
