import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { jsonResponse, PENDING_APPROVAL, PROBLEM, REASON_BODY } from './openapi-shapes';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Roles } from '../auth/roles.decorator';
import { scopeOf } from '../auth/tenant-scope';
import type { WorkflowEngine } from '../engine/loop/workflow-engine';
import type { WorkflowQueries } from '../persistence/workflow-queries';
import { actorOf, idempotencyScope, principalOf } from './request-actor';
import { isAdmin } from '../auth/principal';
import { ENGINE, QUERIES } from './tokens';
import { migrationSchema, operatorReason, cancelSchema, eventSchema, idempotencyKeySchema, listQuerySchema, optionalBody, parseOrThrow, reasonSchema, refuseQuery, startWorkflowSchema, instanceIdSchema } from './validation';
import type { OperatorService } from '../operations/operator-service';
import { respond } from '../operations/respond';
import { OPERATOR_SERVICE } from '../operations/tokens';
import { WORKFLOW_OUTCOMES, WORKFLOW_STATUSES } from '../engine/decider/snapshot';
import { DefinitionCatalog } from '../versions/definition-catalog';
import { ref } from './schemas';
import { z } from 'zod';

const moveSchema = z.strictObject({ toState: z.string().min(1).max(500), reason: operatorReason });
const migrateSchema = migrationSchema.extend({ reason: operatorReason, dryRun: z.boolean().default(false) });


@ApiTags('workflows')
@ApiBearerAuth()
@ApiResponse({ status: 401, ...PROBLEM })
@ApiResponse({ status: 403, ...PROBLEM })
@Controller('v1/workflows')
export class WorkflowsController {
  constructor(
    @Inject(ENGINE) private readonly engine: WorkflowEngine,
    @Inject(QUERIES) private readonly queries: WorkflowQueries,
    @Inject(OPERATOR_SERVICE) private readonly operator: OperatorService,
    @Inject(DefinitionCatalog) private readonly catalog: DefinitionCatalog,
  ) {}

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Start a workflow', description: 'Idempotent with the Idempotency-Key header (kept 24 hours by default): the same key and body return the same workflow; a different body is 422; a request still in flight is 409.' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiBody({ schema: { type: 'object', required: ['type', 'input'], properties: { type: { type: 'string', example: 'demo-transfer' }, version: { type: 'integer' }, workflowId: { type: 'string' }, businessKey: { type: 'string' }, input: { type: 'object' } } } })
  @ApiResponse(jsonResponse(201, 'Workflow', 'started; `Location` names it'))
  @ApiResponse(jsonResponse(200, 'Workflow', 'an identical earlier start, replayed (`Idempotent-Replayed: true` with an Idempotency-Key)'))
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  @ApiResponse({ status: 422, ...PROBLEM })
  async start(@Body() body: unknown, @Headers('idempotency-key') key: string | undefined, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const cmd = parseOrThrow(startWorkflowSchema, body);
    const claim = key === undefined ? undefined : { scope: idempotencyScope(req, 'POST /v1/workflows'), key: parseOrThrow(idempotencyKeySchema, key, 'Idempotency-Key') };
    // New starts take the newest active version; a deprecated or retired one is refused (409).
    const version = await this.catalog.startVersion(cmd.type, cmd.version);
    const { workflow, created } = await this.engine.start({ ...cmd, tenant: scopeOf(req).tenant }, actorOf(req), claim, version);
    res.status(created ? 201 : 200).location(`/v1/workflows/${encodeURIComponent(workflow.id)}`);
    if (!created && claim) res.setHeader('Idempotent-Replayed', 'true');
    return workflow;
  }

  @Get()
  @ApiOperation({
    summary: 'List workflows, newest first (filters: type, status, outcome, state, businessKey, overdue, retrying, hasIncident, createdAfter, createdBefore; cursor pagination)',
    description:
      '`overdue=true`: instances past a state\'s SLA now, each with `overdue: [{state, enteredAt, maxDurationMs, overdueByMs}]`. ' +
      '`retrying=true`: instances with an activity still retrying after ACTIVITY_RETRY_ALERT_MS, each with `retrying: [{activityId, activity, attempts, since, lastError}]`. ' +
      '`status=failed` lists the failed ones; `outcome=rejection` the ones that ended in a final state declaring `meta.outcome: \'rejection\'` (a completed payment rejected by fraud rules, say). `createdAfter` (inclusive) and `createdBefore` (exclusive) are ISO 8601 timestamps with a time zone.',
  })
  @ApiQuery({ name: 'type', required: false, type: String })
  @ApiQuery({ name: 'status', required: false, enum: [...WORKFLOW_STATUSES] })
  @ApiQuery({ name: 'outcome', required: false, enum: [...WORKFLOW_OUTCOMES], description: "ended instances by business outcome: what their final state's `meta.outcome` declares" })
  @ApiQuery({ name: 'state', required: false, description: 'a dotted state path, ancestors included', type: String })
  @ApiQuery({ name: 'businessKey', required: false, type: String })
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'retrying', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'hasIncident', required: false, enum: ['true', 'false'], description: 'instances with an open incident (true) or without (false)' })
  @ApiQuery({ name: 'createdAfter', required: false, example: '2026-01-31T00:00:00Z', type: String })
  @ApiQuery({ name: 'createdBefore', required: false, example: '2026-02-01T00:00:00Z', type: String })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiResponse(jsonResponse(200, 'WorkflowList', 'a page of workflows, newest first'))
  @ApiResponse({ status: 400, ...PROBLEM })
  list(@Query() q: unknown, @Req() req: Request) {
    return this.queries.list(scopeOf(req), parseOrThrow(listQuerySchema, q));
  }

  @Get(':id')
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'Status, state, context, output or error, and version of one workflow; its open `incidents` and the count of `heldInputs`' })
  @ApiResponse(jsonResponse(200, 'WorkflowDetail', 'the workflow'))
  @ApiResponse({ status: 404, ...PROBLEM })
  async get(@Param('id') id: string, @Req() req: Request) {
    const view = await this.queries.get(scopeOf(req), parseOrThrow(instanceIdSchema, id, 'id'));
    // The incidents' errors and kept inputs are the operators' and auditors' to read (as on /v1/incidents); others see that there are some.
    const principal = principalOf(req);
    if (isAdmin(principal) || principal.roles.some((r) => r === 'operator' || r === 'auditor')) return view;
    return { ...view, incidents: view.incidents.map((i) => ({ id: i.id, kind: i.kind, status: i.status, createdAt: i.createdAt })) };
  }

  @Post(':id/events')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Deliver a signal {type, ...payload}; 409 when the current state does not accept it',
    description: 'While the workflow is paused, or has an open incident, the signal is kept and applied later in arrival order: 202 with `held: {reason}`. A signal the machine cannot take (it throws) opens an incident that keeps it: 202 with `held: {reason: "incident", incidentId}`.',
  })
  @ApiBody({ schema: { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, additionalProperties: true } })
  @ApiResponse(jsonResponse(200, 'AppliedWorkflow', 'applied: the workflow after it'))
  @ApiResponse(jsonResponse(202, 'AppliedWorkflow', 'kept (`held` says why), applied later'))
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async signal(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const workflowId = scopeOf(req).workflowKey(parseOrThrow(instanceIdSchema, id, 'id'));
    const event = parseOrThrow(eventSchema, body);
    const view = await this.engine.signal(workflowId, event, actorOf(req));
    if (view.held) res.status(202);
    return view;
  }

  @Post(':id/cancel')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel: stops activities and timers and takes the machine\'s cancel path when it has one',
    description: 'A paused workflow, or one with an open incident, keeps the request and applies it later: 202 with `held`. To end a workflow at once without its cancel path, see terminate.',
  })
  @ApiBody({ required: false, schema: { type: 'object', properties: { reason: { type: 'string' } } } })
  @ApiResponse(jsonResponse(200, 'AppliedWorkflow', 'applied: the workflow after it'))
  @ApiResponse(jsonResponse(202, 'AppliedWorkflow', 'kept (`held` says why), applied later'))
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async cancel(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const parsed = parseOrThrow(cancelSchema, optionalBody(body));
    const view = await this.engine.cancel(scopeOf(req).workflowKey(parseOrThrow(instanceIdSchema, id, 'id')), actorOf(req), parsed?.reason);
    if (view.held) res.status(202);
    return view;
  }

  @Post(':id/pause')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pause: nothing is dispatched; activity results, timer fires, signals and task decisions that arrive are recorded and held until resume',
    description: 'Needs a `reason` (recorded with the principal). 409 `workflow-paused` when already paused, `workflow-terminal` when it ended. 202 `{pendingApproval}` when DUAL_CONTROL names `pause`.',
  })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'Workflow', 'done: the workflow after it'))
  @ApiResponse(PENDING_APPROVAL)
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  pause(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.operatorAction('pause', id, body, req, res);
  }

  @Post(':id/resume')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Resume a paused workflow; what was held is applied in arrival order',
    description: 'Needs a `reason`. 409 `workflow-not-paused`. 202 `{pendingApproval}` when DUAL_CONTROL names `resume`.',
  })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'Workflow', 'done: the workflow after it'))
  @ApiResponse(PENDING_APPROVAL)
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  resume(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.operatorAction('resume', id, body, req, res);
  }

  @Post(':id/terminate')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Terminate: end it at once as `terminated`, with no compensation (unlike cancel, which takes the machine\'s cancel path)',
    description: 'Needs a `reason`. Activities, timers and tasks are stopped; open incidents are closed; held inputs are dropped. 409 `workflow-terminal`. 202 `{pendingApproval}` when DUAL_CONTROL names `terminate`.',
  })
  @ApiBody(REASON_BODY)
  @ApiResponse(jsonResponse(200, 'Workflow', 'done: the workflow after it'))
  @ApiResponse(PENDING_APPROVAL)
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  terminate(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.operatorAction('terminate', id, body, req, res);
  }

  @Post(':id/move')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move a live workflow to another state of its own version, e.g. back to `quotingFx` after a partner outage',
    description:
      'Body `{toState, reason}` (a dotted state path). Taken as a transition: the states left stop their activities, timers and child workflows; the state entered runs its entry actions and starts its own (re-entering the current state re-runs it); tasks open and close as the states say. Recorded as `workflow.moved` with the reason. 400 naming the states there are for one the version has not (final states are no targets); 409 `workflow-paused` (resume it first), `workflow-terminal`. 202 `{pendingApproval}` when DUAL_CONTROL names `move`.',
  })
  @ApiBody({ schema: { type: 'object', required: ['toState', 'reason'], additionalProperties: false, properties: { toState: { type: 'string', example: 'quotingFx' }, reason: { type: 'string', minLength: 1, maxLength: 1000 } } } })
  @ApiResponse(jsonResponse(200, 'Workflow', 'done: the workflow after it'))
  @ApiResponse(PENDING_APPROVAL)
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async move(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    refuseQuery(req.query as Record<string, unknown>);
    const workflowId = parseOrThrow(instanceIdSchema, id, 'id');
    const { toState, reason } = parseOrThrow(moveSchema, body);
    return respond(res, await this.operator.request(scopeOf(req), { action: 'move', workflowId, toState }, actorOf(req), reason));
  }

  @Post(':id/migrate')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Migrate a live workflow to another version of its definition, where it stands, and optionally on to a mapped state of that version',
    description:
      'Body `{toVersion, stateMapping?, contextPatch?, reason, dryRun?}`. Allowed where nothing would be wrong after it: the state the workflow is in exists in the target version and does the same work there (the same invocations, timers and task), so its open activities, timers and tasks are carried over as they are; otherwise 409 `migration-refused` says why (move it to a state both versions share first). `stateMapping` `{"<current state>": "<state of the target version>"}` then moves it there, as a move does. `contextPatch` replaces top-level context keys. Recorded as `workflow.migrated` with the mapping. `dryRun: true` answers the plan (state before and after, what is carried over, what the move would do) and changes nothing. 202 `{pendingApproval}` when DUAL_CONTROL names `migrate`.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['toVersion', 'reason'],
      additionalProperties: false,
      properties: {
        toVersion: { type: 'integer', minimum: 1 },
        stateMapping: { type: 'object', additionalProperties: { type: 'string' }, example: { underwriting: 'manualReview' } },
        contextPatch: { type: 'object', additionalProperties: true },
        reason: { type: 'string', minLength: 1, maxLength: 1000 },
        dryRun: { type: 'boolean', default: false },
      },
    },
  })
  @ApiResponse(jsonResponse(200, { oneOf: [ref('Workflow'), ref('MigrationDryRun')] }, 'done: the workflow after it; with `dryRun`, the plan'))
  @ApiResponse(PENDING_APPROVAL)
  @ApiResponse({ status: 400, ...PROBLEM })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 409, ...PROBLEM })
  async migrate(@Param('id') id: string, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    refuseQuery(req.query as Record<string, unknown>);
    const workflowId = parseOrThrow(instanceIdSchema, id, 'id');
    const { reason, dryRun, ...migration } = parseOrThrow(migrateSchema, body);
    const scope = scopeOf(req);
    if (dryRun) return { dryRun: true, plan: await this.operator.planMigration(scope, workflowId, migration) };
    return respond(res, await this.operator.request(scope, { action: 'migrate', workflowId, migration }, actorOf(req), reason));
  }

  private async operatorAction(action: 'pause' | 'resume' | 'terminate', id: string, body: unknown, req: Request, res: Response) {
    refuseQuery(req.query as Record<string, unknown>);
    const workflowId = parseOrThrow(instanceIdSchema, id, 'id');
    const { reason } = parseOrThrow(reasonSchema, body);
    return respond(res, await this.operator.request(scopeOf(req), { action, workflowId }, actorOf(req), reason));
  }

  @Get(':id/history')
  @Roles('operator', 'auditor')
  @ApiOperation({ summary: 'The recorded facts of one workflow, in order, with their hash chain' })
  @ApiResponse(jsonResponse(200, 'HistoryPage', 'every recorded fact, in order'))
  @ApiResponse({ status: 404, ...PROBLEM })
  async history(@Param('id') id: string, @Req() req: Request) {
    return { items: await this.queries.history(scopeOf(req), parseOrThrow(instanceIdSchema, id, 'id')) };
  }
}
