import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonResponse, PROBLEM } from '../api/openapi-shapes';
import type { Request } from 'express';
import { z } from 'zod';
import { Roles } from '../auth/roles.decorator';
import { requestPrincipal } from '../auth/request-principal';
import { isAdmin, type Principal } from '../auth/principal';
import { scopeOf, type TenantScope } from '../auth/tenant-scope';
import type { TaskService, TaskWorker } from '../engine/loop/task-service';
import { actorOf } from '../api/request-actor';
import { parseOrThrow } from '../api/validation';
import type { TaskQueries } from './task-queries';

export const TASK_SERVICE = Symbol('TaskService');
export const TASK_QUERIES = Symbol('TaskQueries');

const taskId = z.string().uuid('not a task id');
const listSchema = z.strictObject({
  group: z.string().max(200).optional(),
  assignee: z.string().max(200).optional(),
  status: z.enum(['open', 'completed', 'closed']).optional(),
  workflow: z.string().optional(),
  type: z.string().optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
const completeSchema = z.strictObject({ decision: z.string().min(1), data: z.record(z.string(), z.unknown()).optional() });
/** A principal's id (the same rule as the admin API's), or null to unassign. */
const reassignSchema = z.strictObject({ assignee: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, 'a principal id').nullable() });

function worker(p: Principal, scope: TenantScope): TaskWorker {
  return { id: p.id, groups: p.groups, isAdmin: isAdmin(p), tenant: scope.tenant };
}

/** Reviewers see their groups' tasks; operators, auditors and admins see all of their tenant's. */
function visibleGroups(p: Principal): string[] | undefined {
  return isAdmin(p) || p.roles.some((r) => r === 'operator' || r === 'auditor') ? undefined : p.groups;
}

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('v1/tasks')
export class TasksController {
  constructor(
    @Inject(TASK_SERVICE) private readonly tasks: TaskService,
    @Inject(TASK_QUERIES) private readonly queries: TaskQueries,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The task inbox: filters group, assignee, status, workflow, type, overdue; cursor pagination' })
  @ApiQuery({ name: 'group', required: false, description: 'a candidate group', type: String })
  @ApiQuery({ name: 'assignee', required: false, description: 'the principal id that claimed it', type: String })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'completed', 'closed'] })
  @ApiQuery({ name: 'workflow', required: false, description: 'a workflow id', type: String })
  @ApiQuery({ name: 'type', required: false, description: 'a workflow type', type: String })
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiResponse(jsonResponse(200, 'TaskList', 'a page of tasks, newest first'))
  list(@Query() q: unknown, @Req() req: Request) {
    const principal = requestPrincipal(req)!;
    return this.queries.list(scopeOf(req), { ...parseOrThrow(listSchema, q), visibleToGroups: visibleGroups(principal) });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One task, with its form as JSON Schema' })
  @ApiResponse(jsonResponse(200, 'Task', 'the task'))
  get(@Param('id') id: string, @Req() req: Request) {
    return this.queries.get(scopeOf(req), parseOrThrow(taskId, id, 'id'), visibleGroups(requestPrincipal(req)!));
  }

  @Post(':id/claim')
  @HttpCode(200)
  @Roles('reviewer')
  @ApiOperation({ summary: 'Claim: the task is yours until you complete or unclaim it' })
  @ApiResponse(jsonResponse(200, 'Task', 'the task, claimed'))
  @ApiResponse({ status: 409, ...PROBLEM })
  async claim(@Param('id') id: string, @Req() req: Request) {
    const tid = parseOrThrow(taskId, id, 'id');
    await this.tasks.claim(tid, worker(requestPrincipal(req)!, scopeOf(req)), actorOf(req));
    return this.queries.get(scopeOf(req), tid);
  }

  @Post(':id/unclaim')
  @HttpCode(200)
  @Roles('reviewer')
  @ApiOperation({ summary: 'Unclaim: back to the candidate groups' })
  @ApiResponse(jsonResponse(200, 'Task', 'the task, unclaimed'))
  @ApiResponse({ status: 409, ...PROBLEM })
  async unclaim(@Param('id') id: string, @Req() req: Request) {
    const tid = parseOrThrow(taskId, id, 'id');
    await this.tasks.unclaim(tid, worker(requestPrincipal(req)!, scopeOf(req)), actorOf(req));
    return this.queries.get(scopeOf(req), tid);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @Roles('reviewer')
  @ApiOperation({ summary: 'Decide: {decision, data} validated against the task form; delivers the decision to the workflow in the same transaction' })
  @ApiBody({ schema: { type: 'object', required: ['decision'], properties: { decision: { type: 'string' }, data: { type: 'object', additionalProperties: true, description: "the decision's form data, validated against the task's form" } } } })
  @ApiResponse(jsonResponse(200, 'Task', 'the task, completed'))
  @ApiResponse({ status: 409, ...PROBLEM })
  async complete(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    const tid = parseOrThrow(taskId, id, 'id');
    const { decision, data } = parseOrThrow(completeSchema, body);
    await this.tasks.complete(tid, decision, data ?? {}, worker(requestPrincipal(req)!, scopeOf(req)), actorOf(req));
    return this.queries.get(scopeOf(req), tid);
  }

  @Post(':id/reassign')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Reassign: claim it for another principal (or null to unassign)' })
  @ApiBody({ schema: { type: 'object', required: ['assignee'], properties: { assignee: { type: 'string', nullable: true } }, additionalProperties: false } })
  @ApiResponse(jsonResponse(200, 'Task', 'the task, reassigned'))
  @ApiResponse({ status: 409, ...PROBLEM })
  async reassign(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    const tid = parseOrThrow(taskId, id, 'id');
    await this.tasks.reassign(tid, scopeOf(req).tenant, parseOrThrow(reassignSchema, body).assignee, actorOf(req));
    return this.queries.get(scopeOf(req), tid);
  }
}
