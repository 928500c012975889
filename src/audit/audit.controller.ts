import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonResponse, textResponse } from '../api/openapi-shapes';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Roles } from '../auth/roles.decorator';
import { scopeOf } from '../auth/tenant-scope';
import { publicId } from '../engine/store/tenancy';
import { instanceIdSchema, parseOrThrow, queryTimestamp } from '../api/validation';
import { verifyChains } from './chain-verifier';
import { SecurityEventLog } from './security-events';
import { CSV_HEADER, exportBatches, toCsvLine, toJsonLine } from './history-export';

const verifySchema = z.strictObject({ workflowId: instanceIdSchema.optional() });
const timestamp = queryTimestamp;
const securityEventsSchema = z
  .strictObject({
    from: timestamp.optional(),
    to: timestamp.optional(),
    code: z.string().regex(/^[a-z_]{1,64}$/, 'a problem code, such as workflow_not_found').optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().regex(/^[0-9]{1,15}$/, 'a cursor this API returned').optional(),
  });
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
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(SecurityEventLog) private readonly securityEvents: SecurityEventLog,
  ) {}

  @Get('security-events')
  @Roles('auditor', 'platform-admin')
  @ApiOperation({
    summary: 'The security event log, oldest first: refusals that belong to no workflow of the tenant (unknown keys, another tenant\'s ids, refused roles)',
    description:
      "An auditor sees its own tenant's events; a platform admin every event (those of unknown keys too), or one tenant's with `tenant`. Filters `from`, `to` (ISO timestamps), `code`; `limit` (≤ 200) and `cursor`.",
  })
  @ApiQuery({ name: 'from', required: false, example: '2026-01-31T00:00:00Z', type: String })
  @ApiQuery({ name: 'to', required: false, example: '2026-02-01T00:00:00Z', type: String })
  @ApiQuery({ name: 'code', required: false, description: 'a problem code, such as workflow_not_found', type: String })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiResponse(jsonResponse(200, 'SecurityEventList', 'a page of security events, oldest first'))
  securityEventList(@Query() q: unknown, @Req() req: Request) {
    const { from, to, code, limit, cursor } = parseOrThrow(securityEventsSchema, q);
    const scope = scopeOf(req);
    return this.securityEvents.list({
      tenant: scope.platform && !scope.explicit ? null : scope.tenant,
      tenantView: !scope.platform,
      from,
      to,
      code,
      limit,
      after: cursor === undefined ? undefined : Number(cursor),
    });
  }

  @Get('security-events/verify')
  @Roles('platform-admin')
  @ApiOperation({
    summary: "Recompute the security event log's hash chain: the first record edited, missing or out of place",
    description: 'Platform admins only: the chain is one for every tenant, and its length would tell one tenant how many refusals the others had.',
  })
  @ApiResponse(jsonResponse(200, 'SecurityChainVerification', 'the report, verified or not'))
  securityEventVerify() {
    return this.securityEvents.verify();
  }

  @Get('verify')
  @Roles('auditor')
  @ApiOperation({ summary: "Verify the history hash chains of the caller's tenant (all its instances, or ?workflowId=); 200 with the report, verified or not" })
  @ApiQuery({ name: 'workflowId', required: false, type: String })
  @ApiResponse(jsonResponse(200, 'ChainVerification', 'the report, verified or not'))
  async verify(@Query() q: unknown, @Req() req: Request) {
    const { workflowId } = parseOrThrow(verifySchema, q);
    const scope = scopeOf(req);
    const report = await verifyChains(this.db, { tenant: scope.tenant, workflowId: workflowId === undefined ? undefined : scope.workflowKey(workflowId) });
    return report.firstFailure ? { ...report, firstFailure: { ...report.firstFailure, workflowId: publicId(report.firstFailure.workflowId) } } : report;
  }

  @Get('export')
  @Roles('auditor')
  @ApiOperation({
    summary: "Stream the caller's tenant's history records with recorded_at in [from, to), optionally of one workflow type, as JSON lines or CSV",
    description: 'Each record is exactly what was hashed: its `workflowId` is the stored id (`<tenant>/<id>` outside the default tenant).',
  })
  @ApiQuery({ name: 'from', required: false, example: '2026-01-31T00:00:00Z', type: String })
  @ApiQuery({ name: 'to', required: false, example: '2026-02-01T00:00:00Z', type: String })
  @ApiQuery({ name: 'type', required: false, type: String })
  @ApiQuery({ name: 'format', required: false, enum: ['jsonl', 'csv'] })
  @ApiResponse(textResponse(200, ['application/x-ndjson', 'text/csv'], 'one record a line (JSON lines), or CSV with a header line; streamed'))
  async export(@Query() q: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { from, to, type, format } = parseOrThrow(exportSchema, q);
    const batches = exportBatches(this.db, { from, to, type, tenant: scopeOf(req).tenant });
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
