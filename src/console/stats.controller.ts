import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { principalOf } from '../api/request-actor';
import { instanceIdSchema, parseOrThrow } from '../api/validation';
import type { Principal } from '../auth/principal';
import type { OutstandingQueries } from './outstanding-queries';
import type { StatsQueries } from './stats-queries';

export const STATS_QUERIES = Symbol('StatsQueries');
export const OUTSTANDING_QUERIES = Symbol('OutstandingQueries');

/** As the task inbox decides: a reviewer alone sees only their groups' tasks. */
function visibleGroups(p: Principal): string[] | undefined {
  return p.roles.some((r) => r === 'admin' || r === 'operator' || r === 'auditor') ? undefined : p.groups;
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
  overview(@Req() req: Request) {
    return this.stats.overview(visibleGroups(principalOf(req)));
  }

  @Get('workflows/:id/outstanding')
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: "One workflow's scheduled activities and child workflows, and its pending timers" })
  pending(@Param('id') id: string) {
    return this.outstanding.of(parseOrThrow(instanceIdSchema, id, 'id'));
  }
}
