import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Roles } from '../auth/roles.decorator';
import { scopeOf } from '../auth/tenant-scope';
import type { WorkflowEngine } from '../engine/workflow-engine';
import type { WorkflowQueries } from '../persistence/workflow-queries';
import { actorOf, idempotencyScope } from './request-actor';
import { ENGINE, QUERIES } from './tokens';
import { cancelSchema, eventSchema, idempotencyKeySchema, listQuerySchema, parseOrThrow, startWorkflowSchema, instanceIdSchema } from './validation';

const problem = { description: 'application/problem+json (RFC 9457)' };

@ApiTags('workflows')
@ApiBearerAuth()
@ApiResponse({ status: 401, ...problem })
@ApiResponse({ status: 403, ...problem })
@Controller('v1/workflows')
export class WorkflowsController {
  constructor(
    @Inject(ENGINE) private readonly engine: WorkflowEngine,
    @Inject(QUERIES) private readonly queries: WorkflowQueries,
  ) {}

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Start a workflow', description: 'Idempotent with the Idempotency-Key header (kept 24 hours by default): the same key and body return the same workflow; a different body is 422; a request still in flight is 409.' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiBody({ schema: { type: 'object', required: ['type', 'input'], properties: { type: { type: 'string', example: 'demo-transfer' }, version: { type: 'integer' }, workflowId: { type: 'string' }, businessKey: { type: 'string' }, input: { type: 'object' } } } })
  @ApiResponse({ status: 201, description: 'started' })
  @ApiResponse({ status: 200, description: 'an identical earlier start, replayed' })
  @ApiResponse({ status: 400, ...problem })
  @ApiResponse({ status: 404, ...problem })
  @ApiResponse({ status: 409, ...problem })
  @ApiResponse({ status: 422, ...problem })
  async start(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const cmd = parseOrThrow(startWorkflowSchema, body);
    const claim = key === undefined ? undefined : { scope: idempotencyScope(req, 'POST /v1/workflows'), key: parseOrThrow(idempotencyKeySchema, key, 'Idempotency-Key') };
    const { workflow, created } = await this.engine.start({ ...cmd, tenant: scopeOf(req).tenant }, actorOf(req), claim);
    res.status(created ? 201 : 200).location(`/v1/workflows/${encodeURIComponent(workflow.id)}`);
    if (!created && claim) res.setHeader('Idempotent-Replayed', 'true');
    return workflow;
  }

  @Get()
  @ApiOperation({
    summary: 'List workflows, newest first (filters: type, status, state, businessKey, overdue, retrying, createdAfter, createdBefore; cursor pagination)',
    description:
      '`overdue=true`: instances past a state\'s SLA now, each with `overdue: [{state, enteredAt, maxDurationMs, overdueByMs}]`. ' +
      '`retrying=true`: instances with an activity still retrying after ACTIVITY_RETRY_ALERT_MS, each with `retrying: [{activityId, activity, attempts, since, lastError}]`. ' +
      '`status=failed` lists the failed ones. `createdAfter` (inclusive) and `createdBefore` (exclusive) are ISO 8601 timestamps with a time zone.',
  })
  @ApiQuery({ name: 'type', required: false })
  @ApiQuery({ name: 'status', required: false, enum: ['running', 'waiting', 'completed', 'failed', 'cancelled'] })
  @ApiQuery({ name: 'state', required: false, description: 'a dotted state path, ancestors included' })
  @ApiQuery({ name: 'businessKey', required: false })
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'retrying', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'createdAfter', required: false, example: '2026-01-31T00:00:00Z' })
  @ApiQuery({ name: 'createdBefore', required: false, example: '2026-02-01T00:00:00Z' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 400, ...problem })
  list(@Query() q: unknown, @Req() req: Request) {
    return this.queries.list(scopeOf(req), parseOrThrow(listQuerySchema, q));
  }

  @Get(':id')
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'Status, state, context, output or error, and version of one workflow' })
  get(@Param('id') id: string, @Req() req: Request) {
    return this.queries.get(scopeOf(req), parseOrThrow(instanceIdSchema, id, 'id'));
  }

  @Post(':id/events')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deliver a signal {type, ...payload}; 409 when the current state does not accept it' })
  @ApiBody({ schema: { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, additionalProperties: true } })
  @ApiResponse({ status: 409, ...problem })
  async signal(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    const workflowId = scopeOf(req).workflowKey(parseOrThrow(instanceIdSchema, id, 'id'));
    const event = parseOrThrow(eventSchema, body);
    return this.engine.signal(workflowId, event, actorOf(req));
  }

  @Post(':id/cancel')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel: stops activities and timers and takes the machine\'s cancel path when it has one' })
  @ApiBody({ required: false, schema: { type: 'object', properties: { reason: { type: 'string' } } } })
  cancel(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    const parsed = parseOrThrow(cancelSchema, body && Object.keys(body as object).length ? body : undefined);
    return this.engine.cancel(scopeOf(req).workflowKey(parseOrThrow(instanceIdSchema, id, 'id')), actorOf(req), parsed?.reason);
  }

  @Get(':id/history')
  @Roles('operator', 'auditor')
  @ApiOperation({ summary: 'The recorded facts of one workflow, in order, with their hash chain' })
  async history(@Param('id') id: string, @Req() req: Request) {
    return { items: await this.queries.history(scopeOf(req), parseOrThrow(instanceIdSchema, id, 'id')) };
  }
}
