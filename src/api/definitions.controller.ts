import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonResponse, PROBLEM } from './openapi-shapes';
import { z } from 'zod';
import type { DefinitionRegistry } from '../engine/definition/registry';
import { describeDefinition } from './definitions.presenter';
import { REGISTRY } from './tokens';
import { parseOrThrow } from './validation';

@ApiTags('definitions')
@ApiBearerAuth()
@Controller('v1/definitions')
export class DefinitionsController {
  constructor(@Inject(REGISTRY) private readonly registry: DefinitionRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Every registered type and version: input JSON Schema, accepted events, an example input' })
  @ApiResponse(jsonResponse(200, 'DefinitionList', 'every registered definition'))
  list() {
    return { items: this.registry.all().map((d) => describeDefinition(this.registry, d)) };
  }

  @Get(':type/:version')
  @ApiOperation({ summary: 'One definition' })
  @ApiResponse(jsonResponse(200, 'Definition', 'the definition'))
  @ApiResponse({ status: 404, ...PROBLEM })
  get(@Param('type') type: string, @Param('version') version: string) {
    const v = parseOrThrow(z.coerce.number().int().positive(), version, 'version');
    return describeDefinition(this.registry, this.registry.get(type, v));
  }
}
