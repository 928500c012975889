import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { jsonResponse, PROBLEM } from '../api/openapi-shapes';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { Roles } from '../auth/roles.decorator';
import { scopeOf } from '../auth/tenant-scope';
import { actorOf } from '../api/request-actor';
import { BATCH_ACTIONS, batchItemsQuerySchema, batchRequestSchema, parseOrThrow, refuseQuery, uuidSchema } from '../api/validation';
import type { BatchOperations } from './batches';
import type { OperationsRunner } from './operations-runner';
import type { OperatorService } from './operator-service';
import { respond } from './respond';
import { BATCHES, OPERATIONS_RUNNER, OPERATOR_SERVICE } from './tokens';
import { ref } from '../api/schemas';

const listSchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.string().optional() });

@ApiTags('batch operations')
@ApiBearerAuth()
@ApiResponse({ status: 401, ...PROBLEM })
@ApiResponse({ status: 403, ...PROBLEM })
@Controller('v1/batch-operations')
export class BatchOperationsController {
  constructor(
    @Inject(BATCHES) private readonly batches: BatchOperations,
    @Inject(OPERATOR_SERVICE) private readonly operator: OperatorService,
    @Inject(OPERATIONS_RUNNER) private readonly runner: OperationsRunner,
  ) {}

  @Post()
  @Roles('operator')
  @HttpCode(202)
  @ApiOperation({
    summary: 'An operator action over every workflow the filter matches',
    description:
      '`dryRun: true` answers 200 with the matching count and a sample. Otherwise the matching set is fixed now and carried out item by item in the background (202 with the batch; progress at GET /v1/batch-operations/{id}); each item is recorded in its workflow\'s history with the batch id. A crash mid-batch resumes it. With DUAL_CONTROL naming `batch`, 202 `{pendingApproval}` instead.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['action', 'filter', 'reason'],
      additionalProperties: false,
      properties: {
        action: { type: 'string', enum: [...BATCH_ACTIONS] },
        filter: {
          type: 'object',
          description: 'the workflow list\'s filters',
          properties: {
            type: { type: 'string' },
            status: { type: 'string' },
            state: { type: 'string' },
            businessKey: { type: 'string' },
            hasIncident: { type: 'boolean' },
            overdue: { type: 'boolean' },
            retrying: { type: 'boolean' },
            createdAfter: { type: 'string', format: 'date-time' },
            createdBefore: { type: 'string', format: 'date-time' },
          },
        },
        reason: { type: 'string', minLength: 1, maxLength: 1000 },
        dryRun: { type: 'boolean', default: false },
      },
      example: { action: 'retry', filter: { type: 'payment-settlement', hasIncident: true }, reason: 'FX rates service fixed in 1.4.2', dryRun: true },
    },
  })
  @ApiResponse(jsonResponse(200, 'BatchDryRun', 'dry run: how many workflows match now, and a sample'))
  @ApiResponse(jsonResponse(202, { oneOf: [ref('BatchOperation'), ref('PendingApproval')] }, 'the batch, running (`Location` names it); or `{pendingApproval}` under dual control'))
  @ApiResponse({ status: 400, ...PROBLEM })
  async create(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    refuseQuery(req.query);
    const { dryRun, ...request } = parseOrThrow(batchRequestSchema, body);
    const scope = scopeOf(req);
    if (dryRun) {
      res.status(200);
      return this.batches.dryRun(scope, request);
    }
    const outcome = await this.operator.request(scope, { action: 'batch', batch: request }, actorOf(req), request.reason);
    if (outcome.done) {
      this.runner.kick();
      res.location(`/v1/batch-operations/${(outcome.result as { id: string }).id}`);
    }
    return respond(res, outcome);
  }

  @Get()
  @Roles('operator', 'auditor')
  @ApiOperation({ summary: 'Batch operations, newest first' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiResponse(jsonResponse(200, 'BatchOperationList', 'a page of batch operations'))
  @ApiResponse({ status: 400, ...PROBLEM })
  list(@Query() q: unknown, @Req() req: Request) {
    return this.batches.list(scopeOf(req), parseOrThrow(listSchema, q));
  }

  @Get(':id')
  @Roles('operator', 'auditor')
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'A batch: status, progress (done, skipped, failed, remaining) and the first page of items with their outcomes' })
  @ApiQuery({ name: 'limit', required: false, description: 'items per page', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'the nextItemsCursor of the previous page', type: String })
  @ApiQuery({ name: 'outcome', required: false, enum: ['pending', 'done', 'skipped', 'failed'] })
  @ApiResponse(jsonResponse(200, 'BatchOperationDetail', 'the batch with a page of its items'))
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  async get(@Param('id') id: string, @Query() q: unknown, @Req() req: Request) {
    const batchId = parseOrThrow(uuidSchema, id, 'id');
    const scope = scopeOf(req);
    const batch = await this.batches.get(scope, batchId);
    const { items, nextCursor } = await this.batches.items(scope, batchId, parseOrThrow(batchItemsQuerySchema, q));
    return { ...batch, items, nextItemsCursor: nextCursor };
  }
}
