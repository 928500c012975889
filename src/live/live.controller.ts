import { Controller, Inject, type MessageEvent, Query, Req, Sse } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { scopeOf } from '../auth/tenant-scope';
import { DomainError } from '../engine/errors/domain.error';
import type { WorkflowQueries } from '../persistence/workflow-queries';
import { PROBLEM } from '../api/openapi-shapes';
import { QUERIES } from '../api/tokens';
import { instanceIdSchema, parseOrThrow } from '../api/validation';
import { LiveFeed, MAX_SUBSCRIBERS } from './live-feed';

const HEARTBEAT_MS = 15_000;

@ApiTags('workflows')
@ApiBearerAuth()
@Controller('v1')
export class LiveController {
  constructor(
    private readonly feed: LiveFeed,
    @Inject(QUERIES) private readonly queries: WorkflowQueries,
  ) {}

  @Sse('live')
  @ApiOperation({
    summary: 'Server-sent events: the workflows of your tenant as they change',
    description:
      'A `text/event-stream` that sends `event: ready` once, then `event: changes` with `{items: [{id, type, definitionVersion, version, status, outcome, state, businessKey, parentId, updatedAt}]}` ' +
      'whenever commits change workflows (coalesced over about 250 ms), and a comment every 15 s to keep proxies from closing it. ' +
      'With `workflowId`, only that workflow and its children. A hint to refetch, not a record: after a reconnect, read the workflow again. ' +
      'The request must send `Accept: text/event-stream` (406 otherwise); the API key goes in the Authorization header as on every route, so a browser reads it with fetch, not EventSource.',
  })
  @ApiQuery({ name: 'workflowId', required: false, description: 'Only this workflow and its children' })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 404, ...PROBLEM })
  @ApiResponse({ status: 406, ...PROBLEM })
  @ApiResponse({ status: 503, ...PROBLEM })
  async live(@Req() req: Request, @Query('workflowId') workflowId?: string): Promise<Observable<MessageEvent>> {
    const scope = scopeOf(req);
    // Only a client that asks for a stream gets one (EventSource always does): a plain GET that
    // waits for a body to end gets this answer instead of a response that never ends.
    if (!/\btext\/event-stream\b/i.test(req.headers.accept ?? '')) {
      throw new DomainError('not_acceptable', 'this route answers a server-sent event stream: send Accept: text/event-stream');
    }
    let workflowKey: string | undefined;
    if (workflowId !== undefined) {
      // 404 for an id this tenant does not have, as GET /v1/workflows/{id} answers.
      await this.queries.get(scope, parseOrThrow(instanceIdSchema, workflowId, 'workflowId'));
      workflowKey = scope.workflowKey(workflowId);
    }
    if (this.feed.size >= MAX_SUBSCRIBERS) throw new DomainError('live_streams_exhausted', `this process already serves ${MAX_SUBSCRIBERS} live streams; poll instead, or try another process`);
    return new Observable<MessageEvent>((subscriber) => {
      subscriber.next({ type: 'ready', data: { workflowId: workflowId ?? null }, retry: 3000 });
      const unsubscribe = this.feed.subscribe({ scope, workflowKey, send: (items) => subscriber.next({ type: 'changes', data: { items } }) });
      const heartbeat = setInterval(() => subscriber.next({ comment: 'keep-alive' } as MessageEvent), HEARTBEAT_MS);
      return () => {
        clearInterval(heartbeat);
        unsubscribe();
      };
    });
  }
}
