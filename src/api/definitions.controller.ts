import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
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
  list() {
    return { items: this.registry.all().map((d) => describeDefinition(this.registry, d)) };
  }

  @Get(':type/:version')
  @ApiOperation({ summary: 'One definition' })
  get(@Param('type') type: string, @Param('version') version: string) {
    const v = parseOrThrow(z.coerce.number().int().positive(), version, 'version');
    return describeDefinition(this.registry, this.registry.get(type, v));
  }
}
