import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { jsonResponse, PROBLEM, REASON_BODY } from './openapi-shapes';
import { z } from 'zod';
import { Roles } from '../auth/roles.decorator';
import { isPlatformAdmin } from '../auth/principal';
import { scopeOf } from '../auth/tenant-scope';
import type { DefinitionRegistry } from '../engine/definition/registry';
import { DomainError } from '../engine/errors/domain.error';
import { DefinitionCatalog, type Lifecycle } from '../versions/definition-catalog';
import { analyseImpact, IMPACT_LIMIT } from '../versions/impact';
import { DataSource } from 'typeorm';
import { describeDefinition } from './definitions.presenter';
import { actorOf, principalOf } from './request-actor';
import { REGISTRY } from './tokens';
import { parseOrThrow, reasonSchema } from './validation';

const versionSchema = z.coerce.number().int().positive();
const impactSchema = z.strictObject({
  candidateVersion: z.number().int().positive(),
  fromVersions: z.array(z.number().int().positive()).min(1).optional(),
  limit: z.number().int().min(1).max(IMPACT_LIMIT).optional(),
});
const LIFECYCLE_ACTIONS: Record<string, Lifecycle> = { deprecate: 'deprecated', retire: 'retired', activate: 'active' };

@ApiTags('definitions')
@ApiBearerAuth()
@Controller('v1/definitions')
export class DefinitionsController {
  constructor(
    @Inject(REGISTRY) private readonly registry: DefinitionRegistry,
    private readonly catalog: DefinitionCatalog,
    private readonly db: DataSource,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every registered type and version: input JSON Schema, accepted events, an example input' })
  @ApiResponse(jsonResponse(200, 'DefinitionList', 'every registered definition'))
  list() {
    return { items: this.registry.all().map((d) => describeDefinition(this.registry, d)) };
  }

  @Get(':type')
  @ApiOperation({
    summary: 'Every version of a type, deployed now or before: lifecycle, whether this deployment registers it, hash, and your instances by status and state',
    description: 'A version no longer deployed stays listed with what it was (its diagram, report and its instances\' history stay available); one whose registered machine differs from what was first deployed under its number says `changedSinceDeployed`.',
  })
  @ApiResponse(jsonResponse(200, 'DefinitionVersions', 'the versions, oldest first'))
  @ApiResponse({ status: 404, ...PROBLEM })
  versions(@Param('type') type: string, @Req() req: Request) {
    return this.catalog.versions(scopeOf(req), type);
  }

  @Post(':type/impact')
  @Roles('operator', 'auditor')
  @HttpCode(200)
  @ApiOperation({
    summary: "What a candidate version would do to your live instances of the type's other versions, before it takes any",
    description:
      'Replays the recorded inputs of each live instance (its start, then every input the engine applied, in order) through the candidate\'s pure transitions. Per instance: `identical` (every step ends in the recorded state, with the same actions), `diverges` (at which record: the recorded state and actions against the candidate\'s), or `incompatible` (its snapshot does not restore in the candidate); a summary by current state. Up to 10,000 instances (`truncated` says when there were more). Nothing is changed. From a shell, for a CI gate: `npm run impact -- <type> <module>`.',
  })
  @ApiBody({ schema: { type: 'object', required: ['candidateVersion'], additionalProperties: false, properties: { candidateVersion: { type: 'integer', minimum: 1 }, fromVersions: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1 }, limit: { type: 'integer', minimum: 1, maximum: IMPACT_LIMIT } } } })
  @ApiResponse(jsonResponse(200, 'ImpactReport', 'the report'))
  @ApiResponse({ status: 404, ...PROBLEM })
  async impact(@Param('type') type: string, @Body() body: unknown, @Req() req: Request) {
    const { candidateVersion, fromVersions, limit } = parseOrThrow(impactSchema, body);
    const candidate = this.registry.get(type, candidateVersion);
    const originals = (v: number) => (this.registry.has(type, v) ? this.registry.get(type, v) : undefined);
    return analyseImpact(this.db, candidate, originals, { tenant: scopeOf(req).tenant, fromVersions, limit, source: `registered ${type}@${candidateVersion}` });
  }

  @Post(':type/:version/:action')
  @Roles('admin')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: Object.keys(LIFECYCLE_ACTIONS) })
  @ApiOperation({
    summary: "Change a version's lifecycle: `deprecate` (no new starts, instances run on), `retire` (only without live instances), `activate`",
    description: 'Definitions are shared by every tenant: a platform admin changes their lifecycle, with a reason. Other processes see the change within 2 s.',
  })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'DefinitionVersion', 'the version with its new lifecycle'))
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async lifecycle(@Param('type') type: string, @Param('version') version: string, @Param('action') action: string, @Body() body: unknown, @Req() req: Request) {
    const lifecycle = LIFECYCLE_ACTIONS[action];
    if (!lifecycle) throw new DomainError('not_found', `no action ${action} on a definition version: use ${Object.keys(LIFECYCLE_ACTIONS).join(', ')}`);
    const v = parseOrThrow(versionSchema, version, 'version');
    const { reason } = parseOrThrow(reasonSchema, body);
    if (!isPlatformAdmin(principalOf(req))) {
      throw new DomainError('forbidden', 'definitions are shared by every tenant: only a platform admin changes their lifecycle', { requiredRoles: ['platform-admin'] });
    }
    return this.catalog.setLifecycle(scopeOf(req), type, v, lifecycle, reason, actorOf(req).actor);
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
