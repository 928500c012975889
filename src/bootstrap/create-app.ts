import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from '../app.module';
import { inputGuardMiddleware } from '../api/input-guard';
import { documentWorkflowTypes } from '../api/openapi-types';
import { documentResponses } from '../api/openapi-responses';
import { REGISTRY } from '../api/tokens';
import { answerRefusal, ProblemFilter, toProblem, type RefusalHook } from '../api/problem';
import { securityHeadersMiddleware } from '../api/security-headers';
import { ApiKeyService } from '../auth/api-key.service';
import { authenticateMiddleware, type Refusal } from '../auth/authenticate.middleware';
import type { RateLimiter } from '../auth/rate-limiter';
import { RATE_LIMITER } from '../auth/rate-limiter.provider';
import { RefusalRecorder } from '../api/refusal-recorder';
import type { AppConfig } from '../config/config';
import type { WorkflowDefinition } from '../engine/definition/definition';
import { accessLogMiddleware, requestIdMiddleware } from '../observability/http-logging';
import { levelFromNest, loggersFor } from '../observability/loggers';
import { PinoNestLogger } from '../observability/nest-logger';
import { Observability } from '../observability/observability';
import type { WorkerReadiness } from '../observability/worker-http';
import { DefinitionCoverage } from '../engine/dispatch/definition-coverage';
import { DataSource } from 'typeorm';
import { httpServerSpans, isTracingActive } from '../observability/tracing';

/**
 * The configuration with its log level settled: LOG_LEVEL when set, else the least severe of
 * Nest's levels a caller passed (the tests pass ['error'], which keeps them quiet), else info.
 */
function withLogLevel(config: AppConfig, logLevels?: LogLevel[]): AppConfig {
  if (config.LOG_LEVEL) return config;
  return { ...config, LOG_LEVEL: logLevels ? levelFromNest(logLevels) : 'info' };
}

export interface HttpAppOptions {
  /** Awaited before the pre-body authentication answers 401 or 429 (the security event log). */
  onRefused?: (req: Request, refusal: Refusal) => Promise<void>;
}

export async function createHttpApp(appConfig: AppConfig, definitions: readonly WorkflowDefinition[], logLevels?: LogLevel[], options: HttpAppOptions = {}): Promise<NestExpressApplication> {
  const config = withLogLevel(appConfig, logLevels);
  const loggers = loggersFor(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, definitions), {
    bodyParser: false,
    logger: new PinoNestLogger(loggers.app),
  });
  app.enableShutdownHooks();
  app.set('trust proxy', 'loopback');
  // First the request id (and its logging context), then the server span, then the access line.
  app.use(requestIdMiddleware());
  if (isTracingActive()) app.use(httpServerSpans());
  app.use(accessLogMiddleware(loggers.access));
  app.disable('x-powered-by');
  app.use(securityHeadersMiddleware());
  // The API key and the rate limits before the body is read: a refused request costs no parsing.
  const authLog = loggers.app.child({ component: 'auth' });
  // Every refusal leaves a trace: in the workflow's history, or in the security event log.
  const refusals = app.get(RefusalRecorder);
  const record: RefusalHook = (req, refusal, err) => refusals.record(req, refusal, err);
  app.use(
    authenticateMiddleware({
      keys: app.get(ApiKeyService),
      limiter: app.get<typeof RATE_LIMITER, RateLimiter | null>(RATE_LIMITER) ?? undefined,
      refusalDelayMs: config.RATE_LIMIT_REFUSAL_DELAY_MS,
      onRefused: async (req, refusal) => {
        await refusals.record(req, refusal);
        await options.onRefused?.(req, refusal);
      },
      log: (message, fields) => authLog.error(fields, message),
    }),
  );
  app.useBodyParser('json', { limit: '1mb', type: ['application/json', 'application/*+json'] });
  // Body-parser errors (413, malformed JSON) happen before Nest's filters see the request.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    void answerRefusal(req, res, toProblem(err), record, err);
  });
  app.use(inputGuardMiddleware(record));
  const logger = loggers.app.child({ component: 'http' });
  app.useGlobalFilters(new ProblemFilter((message, fields) => logger.error(fields, message), record));
  if (config.SWAGGER) {
    const doc = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Statera')
        .setDescription('Durable statechart workflows for financial processes. Errors are application/problem+json (RFC 9457).')
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key (stk_…)', description: 'An API key: `Authorization: Bearer stk_…`' })
        .build(),
    );
    documentTenantFilter(doc);
    documentWorkflowTypes(doc, app.get(REGISTRY));
    documentResponses(doc);
    SwaggerModule.setup('docs', app, doc);
  }
  return app;
}

/** Every read of /v1 takes `?tenant=` from a platform admin (the tenant guard handles it for all routes at once). */
function documentTenantFilter(doc: ReturnType<typeof SwaggerModule.createDocument>): void {
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/') || !item.get) continue;
    item.get.parameters = [
      ...(item.get.parameters ?? []),
      { name: 'tenant', in: 'query', required: false, schema: { type: 'string' }, description: "Platform admins only: read this tenant's data instead of your own (403 for anyone else naming another tenant)." },
    ];
  }
}

/** PostgreSQL answers, Redis answers PING, and every (type, version) of a live instance is registered here. */
function workerReadiness(ctx: INestApplicationContext): WorkerReadiness {
  const dataSource = ctx.get(DataSource);
  const observability = ctx.get(Observability);
  const coverage = ctx.get(DefinitionCoverage);
  const within = <T>(work: Promise<T>) =>
    Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 1500 ms')), 1500).unref())]);
  const check = async (work: () => Promise<unknown>) => {
    try {
      await within(work());
      return { status: 'up' as const };
    } catch (err) {
      return { status: 'down' as const, message: (err as Error).message };
    }
  };
  return async () => {
    const checks = {
      postgres: await check(() => dataSource.query('SELECT 1')),
      redis: await check(() => observability.pingRedis()),
      definitions: await check(() => coverage.assertCovered()),
    };
    return { ready: Object.values(checks).every((c) => c.status === 'up'), checks };
  };
}

/** ROLE=worker: no API; `/metrics` and `/health` on METRICS_PORT (0: none). */
export async function createWorkerContext(appConfig: AppConfig, definitions: readonly WorkflowDefinition[]): Promise<INestApplicationContext> {
  const config = withLogLevel(appConfig);
  const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, definitions), { logger: new PinoNestLogger(loggersFor(config).app) });
  ctx.enableShutdownHooks();
  if (config.METRICS && config.METRICS_PORT > 0) await ctx.get(Observability).serveWorkerHttp(config.HOST, config.METRICS_PORT, workerReadiness(ctx));
  return ctx;
}
