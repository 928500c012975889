import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { parseOrThrow } from '../api/validation';
import { ApiKeyService } from './api-key.service';
import { issueApiKeySchema, keyIdSchema, listPrincipalsSchema } from './api-key.dto';
import { ROLES } from './principal';
import { Roles } from './roles.decorator';

const problem = { description: 'application/problem+json (RFC 9457)' };

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
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
          properties: { id: { type: 'string', example: 'ops-2' }, displayName: { type: 'string' }, roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } }, groups: { type: 'array', items: { type: 'string' } }, tenant: { type: 'string', default: 'default' } },
        },
      },
    },
  })
  @ApiResponse({ status: 201, description: '{ principal, key, keyId, keyPrefix }' })
  @ApiResponse({ status: 400, ...problem })
  async issue(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { principal } = parseOrThrow(issueApiKeySchema, body);
    const issued = await this.keys.issue(principal);
    res.status(201).setHeader('Cache-Control', 'no-store');
    return { principal: issued.principal, key: issued.key, keyId: issued.keyId, keyPrefix: issued.keyPrefix };
  }

  @Get('principals')
  @ApiOperation({ summary: 'Principals by id with their keys\' prefixes and state (never a key); `limit` (≤ 200) and `cursor`' })
  listPrincipals(@Query() q: unknown) {
    const { limit, cursor } = parseOrThrow(listPrincipalsSchema, q);
    return this.keys.list(limit, cursor);
  }

  @Delete('api-keys/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key: refused at once by this process, by every process within seconds' })
  @ApiResponse({ status: 404, ...problem })
  async revoke(@Param('id') id: string) {
    const revoked = await this.keys.revoke(parseOrThrow(keyIdSchema, id, 'id'));
    if (!revoked) throw new NotFoundException(`no API key ${id}`);
    return revoked;
  }
}
