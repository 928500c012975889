import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { jsonResponse, PROBLEM, REASON_BODY } from '../api/openapi-shapes';
import { actorOf } from '../api/request-actor';
import { operatorReason, parseOrThrow, workflowIdSchema } from '../api/validation';
import { Roles } from '../auth/roles.decorator';
import { scopeOf } from '../auth/tenant-scope';
import { OVERLAP_POLICIES, specSchema, timeZoneSchema } from './schedule-spec';
import { Schedules } from './schedules';

/** The ids of fires end in `-<yyyymmddThhmmssZ>`: a schedule id leaves room for that in a workflow id. */
const scheduleIdSchema = workflowIdSchema.refine((id) => id.length <= 100, 'at most 100 characters');

const createSchema = z.strictObject({
  id: scheduleIdSchema,
  type: z.string().min(1),
  version: z.number().int().positive().optional(),
  input: z.unknown(),
  spec: specSchema,
  timezone: timeZoneSchema.default('UTC'),
  overlap: z.enum(OVERLAP_POLICIES).default('skip'),
  catchupWindowMs: z.number().int().min(0).max(366 * 24 * 3_600_000).default(3_600_000),
  jitterMs: z.number().int().min(0).max(3_600_000).default(0),
  paused: z.boolean().default(false),
  note: z.string().max(1000).optional(),
});
const backfillSchema = z.strictObject({ from: z.iso.datetime(), to: z.iso.datetime() });

@ApiTags('schedules')
@ApiBearerAuth()
@Controller('v1/schedules')
export class SchedulesController {
  constructor(@Inject(Schedules) private readonly schedules: Schedules) {}

  @Post()
  @Roles('operator')
  @ApiOperation({
    summary: 'Create a schedule: recurring starts of a type by cron (in a time zone) or interval',
    description:
      '`spec` is `{cron: "0 14 * * 1-5"}` (wall-clock times in `timezone`, DST included) or `{everyMs}`. Each fire starts a workflow whose id is the schedule id and the nominal time (`<id>-20260329T070000Z`), so a fire made twice is one workflow. `overlap` while the previous run is live: `skip` (default), `buffer-one` (one fire waits for it to end), `allow`, `cancel-other` (the previous run is cancelled). After an outage, fires within `catchupWindowMs` (default one hour) run, older ones are recorded as skipped. `jitterMs` spreads starts after their nominal time, the same for every process.',
  })
  @ApiResponse(jsonResponse(201, 'Schedule', 'created'))
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  create(@Body() body: unknown, @Req() req: Request) {
    const input = parseOrThrow(createSchema, body);
    return this.schedules.create(scopeOf(req), input, actorOf(req).actor);
  }

  @Get()
  @ApiOperation({ summary: "Your tenant's schedules, with their next fire times and recent runs" })
  @ApiResponse(jsonResponse(200, 'ScheduleList', 'the schedules'))
  list(@Req() req: Request) {
    return this.schedules.list(scopeOf(req));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One schedule, with its next five fire times and its last twenty runs' })
  @ApiResponse(jsonResponse(200, 'Schedule', 'the schedule'))
  @ApiResponse({ status: 404, ...PROBLEM })
  get(@Param('id') id: string, @Req() req: Request) {
    return this.schedules.get(scopeOf(req), id);
  }

  @Delete(':id')
  @Roles('operator')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a schedule (its runs are left as they are)' })
  @ApiResponse({ status: 204, description: 'deleted' })
  @ApiResponse({ status: 404, ...PROBLEM })
  async remove(@Param('id') id: string, @Req() req: Request) {
    await this.schedules.remove(scopeOf(req), id);
  }

  @Post(':id/pause')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause: no fire until resumed' })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'Schedule', 'paused'))
  @ApiResponse({ status: 404, ...PROBLEM })
  pause(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    const { reason } = parseOrThrow(z.strictObject({ reason: operatorReason }), body);
    return this.schedules.setPaused(scopeOf(req), id, true, reason, actorOf(req).actor);
  }

  @Post(':id/resume')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume from now: the fires slept through are not replayed (backfill them if they are wanted)' })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'Schedule', 'resumed'))
  @ApiResponse({ status: 404, ...PROBLEM })
  resume(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    const { reason } = parseOrThrow(z.strictObject({ reason: operatorReason }), body);
    return this.schedules.setPaused(scopeOf(req), id, false, reason, actorOf(req).actor);
  }

  @Post(':id/trigger')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Fire now, whatever the spec, a pause or the overlap policy says' })
  @ApiResponse(jsonResponse(200, 'ScheduleRun', 'the run'))
  @ApiResponse({ status: 404, ...PROBLEM })
  trigger(@Param('id') id: string, @Req() req: Request) {
    return this.schedules.trigger(scopeOf(req), id);
  }

  @Post(':id/backfill')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start every nominal fire of [from, to] in the past that has not run (at most 1,000): catch-up beyond the window, on purpose' })
  @ApiBody({ schema: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } } } })
  @ApiResponse(jsonResponse(200, 'ScheduleBackfill', 'the runs'))
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  backfill(@Param('id') id: string, @Body() body: unknown, @Req() req: Request) {
    const { from, to } = parseOrThrow(backfillSchema, body);
    return this.schedules.backfill(scopeOf(req), id, new Date(from), new Date(to));
  }
}
