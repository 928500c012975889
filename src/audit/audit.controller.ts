import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Roles } from '../auth/roles.decorator';
import { instanceIdSchema, parseOrThrow } from '../api/validation';
import { verifyChains } from './chain-verifier';
import { CSV_HEADER, exportBatches, toCsvLine, toJsonLine } from './history-export';

const verifySchema = z.strictObject({ workflowId: instanceIdSchema.optional() });
const timestamp = z.iso.datetime({ offset: true, message: 'an ISO 8601 timestamp, such as 2026-01-31T00:00:00Z' });
const exportSchema = z
  .strictObject({
    from: timestamp.optional(),
    to: timestamp.optional(),
    type: z.string().min(1).optional(),
    format: z.enum(['jsonl', 'csv']).default('jsonl'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from must not be after to', path: ['from'] });

/** Resolves when the response can take more, or when the client has gone. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  @Get('verify')
  @Roles('auditor')
  @ApiOperation({ summary: 'Verify the history hash chains (all instances, or ?workflowId=); 200 with the report, verified or not' })
  verify(@Query() q: unknown) {
    const { workflowId } = parseOrThrow(verifySchema, q);
    return verifyChains(this.db, { workflowId });
  }

  @Get('export')
  @Roles('auditor')
  @ApiOperation({ summary: 'Stream history records with recorded_at in [from, to), optionally of one workflow type, as JSON lines or CSV' })
  async export(@Query() q: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { from, to, type, format } = parseOrThrow(exportSchema, q);
    const batches = exportBatches(this.db, { from, to, type });
    // The first batch is read before answering, so a failing query is still a problem+json.
    let next = await batches.next();
    res.status(200);
    res.setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    if (format === 'csv') res.setHeader('content-disposition', 'attachment; filename="history.csv"');
    const line = format === 'csv' ? toCsvLine : toJsonLine;
    try {
      if (format === 'csv' && !res.write(CSV_HEADER)) await drained(res);
      while (!next.done) {
        if (res.destroyed || req.destroyed) return;
        if (!res.write(next.value.map(line).join(''))) await drained(res);
        next = await batches.next();
      }
      res.end();
    } catch (err) {
      // Headers are gone: cut the stream so the client cannot take a partial export for a whole one.
      res.destroy(err as Error);
    } finally {
      await batches.return(undefined);
    }
  }
}
