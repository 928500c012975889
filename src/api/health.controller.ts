import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonResponse } from './openapi-shapes';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { DefinitionCoverage } from '../engine/dispatch/definition-coverage';
import { Observability } from '../observability/observability';

/** Each dependency must answer within this, or the process is reported not ready. */
const CHECK_TIMEOUT_MS = 1500;

/** Liveness and readiness; open without an API key (auth.guard.ts lists /health). */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Observability) private readonly observability: Observability,
    @Inject(DefinitionCoverage) private readonly coverage: DefinitionCoverage,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: 200 while the process serves; never checks dependencies, so a database outage does not restart it' })
  @ApiResponse(jsonResponse(200, 'Health', 'the process serves'))
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL answers, Redis answers PING, no migration pending, every (type, version) of a live instance registered' })
  @ApiResponse(jsonResponse(200, 'Readiness', 'ready: `{status: "ok", info, error: {}, details}`'))
  @ApiResponse(jsonResponse(503, 'Readiness', 'not ready: `{status: "error", info, error, details}` naming what failed'))
  async ready(@Res({ passthrough: true }) res: Response) {
    try {
      return await this.health.check([
        () => this.db.pingCheck('postgres').withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('redis')
            .attempt(() => this.observability.pingRedis())
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('migrations')
            .attempt(() => this.pendingMigrations())
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('definitions')
            .attempt(() => this.coverage.assertCovered())
            .withTimeout(CHECK_TIMEOUT_MS),
      ]);
    } catch (err) {
      // Terminus' own body says which check failed; the problem+json filter would drop it.
      if (err instanceof ServiceUnavailableException) {
        res.status(503);
        return err.getResponse();
      }
      throw err;
    }
  }

  /** Throws while a migration the code knows has not run: the schema is older than the code. */
  private async pendingMigrations(): Promise<{ applied: number }> {
    const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.name));
    const pending = this.dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
    if (pending.length > 0) throw new Error(`pending: ${pending.join(', ')}`);
    return { applied: applied.size };
  }
}
