import type { StartWorkflowBody, Workflow, WorkflowDetail, WorkflowEvent } from '../../client';
import { call, choice, jsonArgument, jsonObjectArgument, positiveInt } from '../api';
import type { Command, Context } from '../command';
import { UsageError } from '../errors';
import { compact, keyValues, stateText, table, time, type Cell } from '../format';

// Every status and outcome the API documents, and none it does not: the compiler checks both ways.
const STATUSES = Object.keys({ running: 1, waiting: 1, paused: 1, completed: 1, failed: 1, cancelled: 1, terminated: 1 } satisfies Record<Workflow['status'], 1>) as Workflow['status'][];
const OUTCOMES = Object.keys({ success: 1, rejection: 1, failure: 1, cancelled: 1 } satisfies Record<NonNullable<Workflow['outcome']>, 1>) as NonNullable<Workflow['outcome']>[];

const path = (id: string) => ({ params: { path: { id } } });

/** A workflow's facts, one per line (`get`, `start`); a start's answer has no incidents or held inputs. */
function describe(w: Workflow & Partial<Pick<WorkflowDetail, 'incidents' | 'heldInputs'>>): string {
  const pairs: [string, Cell][] = [
    ['id', w.id],
    ['type', `${w.type} v${w.definitionVersion}`],
    ['status', w.status],
    ['outcome', w.outcome],
    ['state', stateText(w.state)],
    ['business key', w.businessKey],
    ['parent', w.parentId],
    ['created', time(w.createdAt)],
    ['updated', time(w.updatedAt)],
    ['ended', time(w.endedAt)],
  ];
  if (w.incidents) pairs.push(['incidents', w.incidents.length ? w.incidents.map((i) => `${i.id} (${i.kind}, ${i.status})`).join(', ') : 'none']);
  if (w.heldInputs !== undefined) pairs.push(['held inputs', w.heldInputs]);
  pairs.push(['input', compact(w.input)], ['context', compact(w.context)], ['output', compact(w.output)], ['error', compact(w.error)]);
  return keyValues(pairs);
}

function print(ctx: Context, body: unknown, text: () => string): void {
  ctx.out(ctx.json ? JSON.stringify(body, null, 2) : text());
}

export const start: Command = {
  name: 'start',
  summary: 'start a workflow',
  synopsis: '<type> [--input JSON|@file] [--id ID] [--business-key K] [--version N] [--idempotency-key K]',
  details: [
    '--input JSON|@file   the input (default {}); @file reads a file, @- standard input',
    '--id ID              your id for it; generated when absent',
    '--business-key K     a business key to find it by',
    '--version N          a registered version; the latest when absent',
    '--idempotency-key K  the same key and input answer the same workflow, never a second one',
  ],
  positionals: ['type'],
  options: { input: { type: 'string' }, id: { type: 'string' }, 'business-key': { type: 'string' }, version: { type: 'string' }, 'idempotency-key': { type: 'string' } },
  async run(ctx, [type], v) {
    const input = typeof v.input === 'string' ? jsonArgument('input', v.input, 'start') : {};
    const version = positiveInt('version', v.version, 'start');
    const body = {
      type,
      input,
      ...(version ? { version } : {}),
      ...(typeof v.id === 'string' ? { workflowId: v.id } : {}),
      ...(typeof v['business-key'] === 'string' ? { businessKey: v['business-key'] } : {}),
    };
    const headers = typeof v['idempotency-key'] === 'string' ? { 'Idempotency-Key': v['idempotency-key'] } : undefined;
    // Any registered type, extra definitions too: the server checks the input against the definition's schema.
    const { data, status } = await call(ctx.client.POST('/v1/workflows', { body: body as StartWorkflowBody, params: { header: headers } }), ctx.baseUrl);
    print(ctx, data, () => `${status === 201 ? 'started' : 'already started (the same request)'} ${data.id}\n${describe(data)}`);
    return 0;
  },
};

export const signal: Command = {
  name: 'signal',
  summary: 'send an event to a workflow',
  synopsis: '<id> <event-type> [--data JSON|@file]',
  details: ['--data JSON|@file  the event\'s payload, an object (default {})'],
  positionals: ['id', 'event-type'],
  options: { data: { type: 'string' } },
  async run(ctx, [id, type], v) {
    const payload = typeof v.data === 'string' ? jsonObjectArgument('data', v.data, 'signal') : {};
    if ('type' in payload) throw new UsageError('--data must not hold "type": the event type is the second argument', 'signal');
    const { data } = await call(ctx.client.POST('/v1/workflows/{id}/events', { ...path(id), body: { ...payload, type } as WorkflowEvent }), ctx.baseUrl);
    const held = data.held ? ` (held: ${data.held.reason}${data.held.incidentId ? ` ${data.held.incidentId}` : ''}; applied later)` : '';
    print(ctx, data, () => `${type} → ${data.id}: ${data.status} in ${stateText(data.state)}${held}`);
    return 0;
  },
};

export const get: Command = {
  name: 'get',
  summary: 'show one workflow',
  synopsis: '<id>',
  positionals: ['id'],
  options: {},
  async run(ctx, [id]) {
    const { data } = await call(ctx.client.GET('/v1/workflows/{id}', path(id)), ctx.baseUrl);
    print(ctx, data, () => describe(data));
    return 0;
  },
};

export const list: Command = {
  name: 'list',
  summary: 'list workflows, newest first',
  synopsis: '[--type T] [--status S] [--outcome O] [--business-key K] [--limit N] [--cursor C]',
  details: [`--status S   ${STATUSES.join(', ')}`, `--outcome O  ${OUTCOMES.join(', ')}`, '--limit N    at most 200 (default 50)', '--cursor C   the next page, as the previous page said'],
  positionals: [],
  options: { type: { type: 'string' }, status: { type: 'string' }, outcome: { type: 'string' }, 'business-key': { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
  async run(ctx, _p, v) {
    const query = {
      type: typeof v.type === 'string' ? v.type : undefined,
      status: choice('status', v.status, STATUSES, 'list'),
      outcome: choice('outcome', v.outcome, OUTCOMES, 'list'),
      businessKey: typeof v['business-key'] === 'string' ? v['business-key'] : undefined,
      limit: positiveInt('limit', v.limit, 'list'),
      cursor: typeof v.cursor === 'string' ? v.cursor : undefined,
    };
    const { data } = await call(ctx.client.GET('/v1/workflows', { params: { query } }), ctx.baseUrl);
    print(ctx, data, () => {
      if (!data.items.length) return 'no workflows';
      const rows = data.items.map((w) => [w.id, w.type, w.definitionVersion, w.status, w.outcome, stateText(w.state), w.businessKey, time(w.createdAt)]);
      const text = table(['id', 'type', 'version', 'status', 'outcome', 'state', 'business key', 'created'], rows);
      return data.nextCursor ? `${text}\nmore: --cursor ${data.nextCursor}` : text;
    });
    return 0;
  },
};

export const history: Command = {
  name: 'history',
  summary: "a workflow's recorded facts, in order",
  synopsis: '<id>',
  positionals: ['id'],
  options: {},
  async run(ctx, [id]) {
    const { data } = await call(ctx.client.GET('/v1/workflows/{id}/history', path(id)), ctx.baseUrl);
    print(ctx, data, () =>
      table(
        ['seq', 'recorded', 'kind', 'actor', 'outcome', 'event', 'state'],
        data.items.map((r) => [r.seq, time(r.recordedAt), r.kind, r.actor, r.outcome, eventType(r.event), stateText(r.stateAfter)]),
      ),
    );
    return 0;
  },
};

/** The type of a recorded event, if the record has one. */
export function eventType(event: unknown): string | null {
  return event && typeof event === 'object' && typeof (event as { type?: unknown }).type === 'string' ? (event as { type: string }).type : null;
}
