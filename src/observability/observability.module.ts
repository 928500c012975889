import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { AppConfig } from '../config/config';
import { MetricsController } from './metrics.controller';
import { Observability } from './observability';

/**
 * Metrics, logs and the SLA monitor of one application, and terminus for the health checks.
 * `/metrics` is served by HTTP processes; a worker serves it on METRICS_PORT instead.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ObservabilityModule,
      // A failing probe answers 503 naming the check; logging each probe too would repeat it every few seconds.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: config.METRICS && config.ROLE !== 'worker' ? [MetricsController] : [],
      providers: [{ provide: Observability, useFactory: () => new Observability(config) }],
      exports: [Observability, TerminusModule],
    };
  }
}
