import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { jsonResponse, PENDING_APPROVAL, PROBLEM, REASON_BODY } from '../api/openapi-shapes';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Roles } from '../auth/roles.decorator';
import { scopeOf } from '../auth/tenant-scope';
import { INCIDENT_KINDS } from '../engine/loop/incidents';
import { actorOf } from '../api/request-actor';
import { incidentListSchema, parseOrThrow, reasonSchema, refuseQuery, uuidSchema } from '../api/validation';
import type { IncidentQueries } from './incident-queries';
import type { OperatorService } from './operator-service';
import { respond } from './respond';
import { INCIDENT_QUERIES, OPERATOR_SERVICE } from './tokens';


@ApiTags('incidents')
@ApiBearerAuth()
@ApiResponse({ status: 401, ...PROBLEM })
@ApiResponse({ status: 403, ...PROBLEM })
@Controller('v1/incidents')
export class IncidentsController {
  constructor(
    @Inject(INCIDENT_QUERIES) private readonly incidents: IncidentQueries,
    @Inject(OPERATOR_SERVICE) private readonly operator: OperatorService,
  ) {}

  @Get()
  @Roles('operator', 'auditor')
  @ApiOperation({
    summary: 'Incidents, newest first (filters type, workflowId, kind, status; cursor pagination)',
    description: 'An incident is an input the engine could not apply for a reason that will not pass by itself. The workflow keeps its state; the input is kept for a retry; inputs arriving meanwhile are held and applied after it.',
  })
  @ApiQuery({ name: 'type', required: false, type: String })
  @ApiQuery({ name: 'workflowId', required: false, type: String })
  @ApiQuery({ name: 'kind', required: false, enum: [...INCIDENT_KINDS] })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'resolved'] })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiResponse(jsonResponse(200, 'IncidentList', 'a page of incidents, newest first'))
  @ApiResponse({ status: 400, ...PROBLEM })
  list(@Query() q: unknown, @Req() req: Request) {
    return this.incidents.list(scopeOf(req), parseOrThrow(incidentListSchema, q));
  }

  @Get(':id')
  @Roles('operator', 'auditor')
  @ApiParam({ name: 'id', description: 'the incident id (UUID)' })
  @ApiOperation({ summary: 'One incident: its error, the input kept for a retry, the state it happened in' })
  @ApiResponse(jsonResponse(200, 'Incident', 'the incident'))
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  get(@Param('id') id: string, @Req() req: Request) {
    return this.incidents.get(scopeOf(req), parseOrThrow(uuidSchema, id, 'id'));
  }

  @Post(':id/retry')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Apply the kept input again (after a fix is deployed); an exhausted activity runs again with a fresh attempt budget',
    description: '200 `{incident, workflow}` when done; 202 `{pendingApproval}` when DUAL_CONTROL names `retry`; 409 `incident-retry-failed` when it fails again (the incident stays open with the new error) or `incident-not-open`.',
  })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'IncidentActionResult', 'done: the incident and its workflow'))
  @ApiResponse(PENDING_APPROVAL)
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async retry(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    refuseQuery(req.query);
    const incidentId = parseOrThrow(uuidSchema, id, 'id');
    const { reason } = parseOrThrow(reasonSchema, body);
    return respond(res, await this.operator.request(scopeOf(req), { action: 'retry', incidentId }, actorOf(req), reason));
  }

  @Post(':id/resolve')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Discard the kept input and go on (inputs held behind it are applied)',
    description: '200 `{incident, workflow}`; 202 `{pendingApproval}` when DUAL_CONTROL names `resolve`; 409 `incident-not-open`.',
  })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'IncidentActionResult', 'done: the incident and its workflow'))
  @ApiResponse(PENDING_APPROVAL)
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async resolve(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    refuseQuery(req.query);
    const incidentId = parseOrThrow(uuidSchema, id, 'id');
    const { reason } = parseOrThrow(reasonSchema, body);
    return respond(res, await this.operator.request(scopeOf(req), { action: 'resolve', incidentId }, actorOf(req), reason));
  }
}
