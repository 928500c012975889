import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { textResponse } from '../api/openapi-shapes';
import type { Request, Response } from 'express';
import { scopeOf } from '../auth/tenant-scope';
import { z } from 'zod';
import { QUERIES, REGISTRY } from '../api/tokens';
import { instanceIdSchema, parseOrThrow } from '../api/validation';
import type { DefinitionRegistry } from '../engine/definition/registry';
import type { WorkflowQueries } from '../persistence/workflow-queries';
import { DefinitionCatalog } from '../versions/definition-catalog';
import { complianceReport, reportSubject, type ReportSubject } from './report';
import { DIAGRAM_FORMATS, renderModel, type DiagramFormat } from './render';

const formatSchema = z.enum(['mermaid', 'svg']).default('svg');

const CONTENT_TYPES: Record<DiagramFormat, string> = {
  mermaid: 'text/vnd.mermaid; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
};

/** The media types without their charset, as OpenAPI names them. */
const MEDIA_TYPES = Object.values(CONTENT_TYPES).map((t) => t.split(';')[0]);

/** Statechart diagrams generated from the registered machines at request time; any authenticated role. */
@ApiTags('diagrams')
@ApiBearerAuth()
@Controller('v1')
export class DiagramsController {
  constructor(
    @Inject(REGISTRY) private readonly registry: DefinitionRegistry,
    @Inject(QUERIES) private readonly queries: WorkflowQueries,
    @Inject(DefinitionCatalog) private readonly catalog: DefinitionCatalog,
  ) {}

  /** A registered version's report subject, or a version no longer deployed, from what was recorded. */
  private async subject(type: string, version: number): Promise<ReportSubject> {
    if (this.registry.has(type, version)) return reportSubject(this.registry.get(type, version));
    const stored = await this.catalog.storedOnly(type, version);
    if (!stored) this.registry.get(type, version); // the registry's 404
    return { type, version, description: stored!.description.description, hash: stored!.hash, model: await this.catalog.model(type, version) };
  }

  @Get('definitions/:type/:version/diagram')
  @ApiOperation({ summary: "A definition's statechart: states, transitions, guards, delays, activities with retry policies, human tasks" })
  @ApiQuery({ name: 'format', enum: DIAGRAM_FORMATS, required: false })
  @ApiQuery({ name: 'collapse', required: false, description: 'Compound states to draw closed, by path, comma-separated (e.g. `underwriting`): one box each, its inside hidden; a 400 names the compound states there are' })
  @ApiProduces(CONTENT_TYPES.svg, CONTENT_TYPES.mermaid)
  @ApiResponse(textResponse(200, MEDIA_TYPES, 'the diagram: SVG, or Mermaid source with `format=mermaid`'))
  async definition(@Param('type') type: string, @Param('version') version: string, @Query('format') format: unknown, @Query('collapse') collapse: unknown, @Res() res: Response) {
    const f = parseOrThrow(formatSchema, format, 'format');
    const v = parseOrThrow(z.coerce.number().int().positive(), version, 'version');
    const body = await renderModel(await this.catalog.model(type, v), f, undefined, collapse);
    res.status(200).type(CONTENT_TYPES[f]).send(body);
  }

  @Get('definitions/:type/:version/report')
  @ApiOperation({ summary: 'A printable compliance report: the diagram, every state and transition, every path to a final state, changes from the previous version' })
  @ApiProduces('text/html')
  @ApiResponse(textResponse(200, ['text/html'], 'the report, printable HTML'))
  async report(@Param('type') type: string, @Param('version') version: string, @Req() req: Request, @Res() res: Response) {
    const v = parseOrThrow(z.coerce.number().int().positive(), version, 'version');
    const subject = await this.subject(type, v);
    const earlier = (await this.catalog.versions(scopeOf(req), type)).versions.map((x) => x.version).filter((x) => x < v);
    const previous = earlier.length ? await this.subject(type, earlier[earlier.length - 1]) : undefined;
    res.status(200).type('text/html; charset=utf-8').send(await complianceReport(subject, previous));
  }

  @Get('workflows/:id/diagram')
  @ApiOperation({ summary: "An instance's statechart with its visited path and current state marked" })
  @ApiQuery({ name: 'format', enum: DIAGRAM_FORMATS, required: false })
  @ApiQuery({ name: 'collapse', required: false, description: 'Compound states to draw closed, by path, comma-separated (e.g. `underwriting`): one box each, its inside hidden; a 400 names the compound states there are' })
  @ApiProduces(CONTENT_TYPES.svg, CONTENT_TYPES.mermaid)
  @ApiResponse(textResponse(200, MEDIA_TYPES, 'the diagram, visited states and transitions marked'))
  async workflow(@Param('id') id: string, @Query('format') format: unknown, @Query('collapse') collapse: unknown, @Req() req: Request, @Res() res: Response) {
    const f = parseOrThrow(formatSchema, format, 'format');
    const wid = parseOrThrow(instanceIdSchema, id, 'id');
    const scope = scopeOf(req);
    const view = await this.queries.get(scope, wid);
    const history = await this.queries.history(scope, wid);
    const body = await renderModel(await this.catalog.model(view.type, view.definitionVersion), f, { history, state: view.state }, collapse);
    res.status(200).type(CONTENT_TYPES[f]).send(body);
  }
}
