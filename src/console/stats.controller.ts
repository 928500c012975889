import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonResponse } from '../api/openapi-shapes';
import type { Request } from 'express';
import { principalOf } from '../api/request-actor';
import { instanceIdSchema, parseOrThrow } from '../api/validation';
import { isAdmin, type Principal } from '../auth/principal';
import { scopeOf } from '../auth/tenant-scope';
import type { OutstandingQueries } from './outstanding-queries';
import type { StatsQueries } from './stats-queries';

export const STATS_QUERIES = Symbol('StatsQueries');
export const OUTSTANDING_QUERIES = Symbol('OutstandingQueries');

/** As the task inbox decides: a reviewer alone sees only their groups' tasks. */
function visibleGroups(p: Principal): string[] | undefined {
  return isAdmin(p) || p.roles.some((r) => r === 'operator' || r === 'auditor') ? undefined : p.groups;
}

/** Read models behind the web console; any signed-in principal may read them. */
@ApiTags('console')
@ApiBearerAuth()
@Controller('v1')
export class StatsController {
  constructor(
    @Inject(STATS_QUERIES) private readonly stats: StatsQueries,
    @Inject(OUTSTANDING_QUERIES) private readonly outstanding: OutstandingQueries,
  ) {}

  @Get('stats/overview')
  @ApiOperation({ summary: 'Instances by type and status, started/completed/failed per minute over the last hour, open and overdue tasks' })
  @ApiResponse(jsonResponse(200, 'StatsOverview', "the caller's tenant's overview"))
  overview(@Req() req: Request) {
    return this.stats.overview(scopeOf(req).tenant, visibleGroups(principalOf(req)));
  }

  @Get('workflows/:id/outstanding')
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: "One workflow's scheduled activities and child workflows, and its pending timers" })
  @ApiResponse(jsonResponse(200, 'OutstandingWork', 'what the workflow waits on'))
  pending(@Param('id') id: string, @Req() req: Request) {
    return this.outstanding.of(scopeOf(req), parseOrThrow(instanceIdSchema, id, 'id'));
  }
}
