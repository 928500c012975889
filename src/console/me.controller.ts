import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonResponse } from '../api/openapi-shapes';
import type { Request } from 'express';
import { principalOf } from '../api/request-actor';

/** Who the presented API key belongs to: the console shows it and hides what the roles do not allow. */
@ApiTags('console')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'The principal of the API key presented: id, display name, roles, reviewer groups, tenant' })
  @ApiResponse(jsonResponse(200, 'Principal', 'the principal'))
  me(@Req() req: Request) {
    const { id, displayName, roles, groups, tenant } = principalOf(req);
    return { id, displayName, roles, groups, tenant };
  }
}
