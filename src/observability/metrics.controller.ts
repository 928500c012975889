import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Observability } from './observability';

/** Prometheus text format. Open like /health: scrapers carry no API key (see docs/operations.md). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(Observability) private readonly observability: Observability) {}

  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.observability.metrics!.scrape();
    res.status(200).type(contentType).send(body);
  }
}
