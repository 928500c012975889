import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { jsonResponse, PROBLEM } from '../api/openapi-shapes';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Roles } from '../auth/roles.decorator';
import { scopeOf } from '../auth/tenant-scope';
import { actorOf } from '../api/request-actor';
import { approvalDecisionSchema, approvalListSchema, optionalBody, parseOrThrow, refuseQuery, uuidSchema } from '../api/validation';
import type { OperatorService } from './operator-service';
import { OPERATOR_SERVICE } from './tokens';

const decisionBody = { required: false, schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 1000 } }, additionalProperties: false } };

@ApiTags('operator approvals')
@ApiBearerAuth()
@ApiResponse({ status: 401, ...PROBLEM })
@ApiResponse({ status: 403, ...PROBLEM })
@Controller('v1/operator-approvals')
export class OperatorApprovalsController {
  constructor(@Inject(OPERATOR_SERVICE) private readonly operator: OperatorService) {}

  @Get()
  @Roles('operator', 'auditor')
  @ApiOperation({ summary: 'Operator actions kept for a second operator (dual control), newest first' })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'approved', 'rejected', 'expired'] })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiResponse(jsonResponse(200, 'OperatorApprovalList', 'a page of operator approvals, newest first'))
  @ApiResponse({ status: 400, ...PROBLEM })
  list(@Query() q: unknown, @Req() req: Request) {
    return this.operator.list(scopeOf(req), parseOrThrow(approvalListSchema, q));
  }

  @Get(':id')
  @Roles('operator', 'auditor')
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'One operator approval' })
  @ApiResponse(jsonResponse(200, 'OperatorApproval', 'the approval'))
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  async get(@Param('id') id: string, @Req() req: Request) {
    return this.operator.get(scopeOf(req), parseOrThrow(uuidSchema, id, 'id'));
  }

  @Post(':id/approve')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Approve and carry out the action, as this operator',
    description: 'Only a different operator of the same tenant: the requester is 403 `self-approval`. 409 `approval-not-pending` once decided, `approval-expired` after its time. Answers `{approval, result}` with the action\'s own answer.',
  })
  @ApiBody(decisionBody)
  @ApiResponse(jsonResponse(200, 'ApprovalDecision', 'approved and carried out'))
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async approve(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    refuseQuery(req.query);
    const decision = parseOrThrow(approvalDecisionSchema, optionalBody(body));
    return this.operator.approve(scopeOf(req), parseOrThrow(uuidSchema, id, 'id'), actorOf(req), decision?.reason);
  }

  @Post(':id/reject')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject the action (the requester may withdraw their own this way)' })
  @ApiBody(decisionBody)
  @ApiResponse(jsonResponse(200, 'OperatorApproval', 'rejected'))
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async reject(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    refuseQuery(req.query);
    const decision = parseOrThrow(approvalDecisionSchema, optionalBody(body));
    return this.operator.reject(scopeOf(req), parseOrThrow(uuidSchema, id, 'id'), actorOf(req), decision?.reason);
  }
}
