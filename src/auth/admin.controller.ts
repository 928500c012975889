import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonResponse, PROBLEM } from '../api/openapi-shapes';
import type { Request, Response } from 'express';
import { principalOf } from '../api/request-actor';
import { DomainError } from '../engine/errors/domain.error';
import { parseOrThrow } from '../api/validation';
import { ApiKeyService } from './api-key.service';
import { issueApiKeySchema, keyIdSchema, listPrincipalsSchema } from './api-key.dto';
import { isPlatformAdmin, ROLES } from './principal';
import { Roles } from './roles.decorator';
import { scopeOf } from './tenant-scope';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin', 'platform-admin')
@Controller('v1/admin')
export class AdminController {
  constructor(@Inject(ApiKeyService) private readonly keys: ApiKeyService) {}

  @Post('api-keys')
  @ApiOperation({
    summary: 'Create a principal with an API key, or add a key to an existing principal described exactly as stored',
    description: 'The key is in this response only; the server keeps its SHA-256.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['principal'],
      properties: {
        principal: {
          type: 'object',
          required: ['id', 'displayName', 'roles'],
          properties: { id: { type: 'string', example: 'ops-2' }, displayName: { type: 'string' }, roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } }, groups: { type: 'array', items: { type: 'string' } }, tenant: { type: 'string', description: "default: the caller's tenant; another only for a platform admin" } },
        },
      },
    },
  })
  @ApiResponse(jsonResponse(201, 'IssuedApiKey', 'the key, shown this once'))
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 403, ...PROBLEM })
  async issue(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const { principal } = parseOrThrow(issueApiKeySchema, body);
    const caller = principalOf(req);
    const tenant = principal.tenant ?? caller.tenant;
    // A tenant admin manages its own tenant's principals, and makes no platform admin.
    if (!isPlatformAdmin(caller) && tenant !== caller.tenant) {
      throw new DomainError('forbidden', 'a tenant admin manages the principals of its own tenant only', { requiredRoles: ['platform-admin'] });
    }
    if (!isPlatformAdmin(caller) && principal.roles.includes('platform-admin')) {
      throw new DomainError('forbidden', 'only a platform admin may grant platform-admin', { requiredRoles: ['platform-admin'] });
    }
    const issued = await this.keys.issue({ ...principal, tenant });
    res.status(201).setHeader('Cache-Control', 'no-store');
    return { principal: issued.principal, key: issued.key, keyId: issued.keyId, keyPrefix: issued.keyPrefix };
  }

  @Get('principals')
  @ApiOperation({ summary: "The tenant's principals by id with their keys' prefixes and state (never a key); `limit` (≤ 200) and `cursor`; a platform admin names another tenant with `tenant`" })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'the last principal id of the previous page', type: String })
  @ApiResponse(jsonResponse(200, 'PrincipalList', 'a page of principals by id'))
  listPrincipals(@Query() q: unknown, @Req() req: Request) {
    const { limit, cursor } = parseOrThrow(listPrincipalsSchema, q);
    return this.keys.list(scopeOf(req).tenant, limit, cursor);
  }

  @Delete('api-keys/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key: refused at once by this process, by every process within seconds' })
  @ApiResponse(jsonResponse(200, 'RevokedApiKey', 'the key, revoked'))
  @ApiResponse({ status: 404, ...PROBLEM })
  async revoke(@Param('id') id: string, @Req() req: Request) {
    const keyId = parseOrThrow(keyIdSchema, id, 'id');
    const caller = principalOf(req);
    // Another tenant's key is as absent as a missing one, except to a platform admin.
    const revoked = await this.keys.revoke(keyId, isPlatformAdmin(caller) ? null : caller.tenant);
    if (!revoked) throw new DomainError('not_found', `no API key ${keyId}`, { keyId });
    return revoked;
  }
}
