import type { Incident } from '../../client';
import { call, choice, positiveInt } from '../api';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { stateText, table, time } from '../format';

const STATUSES = Object.keys({ open: 1, resolved: 1 } satisfies Record<Incident['status'], 1>) as Incident['status'][];

function errorText(error: unknown): string | null {
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return error === null || error === undefined ? null : JSON.stringify(error);
}

export const incidents: Command = {
  name: 'incidents',
  summary: 'inputs the engine could not apply, newest first',
  synopsis: '[--status S] [--workflow ID] [--type T] [--limit N]',
  details: [`--status S     ${STATUSES.join(', ')} (default: both)`, '--workflow ID  the incidents of one workflow', '--type T       of one workflow type', '--limit N      at most 200 (default 50)'],
  positionals: [],
  options: { status: { type: 'string' }, workflow: { type: 'string' }, type: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx, _p, v) {
    const query = {
      status: choice('status', v.status, STATUSES, 'incidents'),
      workflowId: typeof v.workflow === 'string' ? v.workflow : undefined,
      type: typeof v.type === 'string' ? v.type : undefined,
      limit: positiveInt('limit', v.limit, 'incidents'),
    };
    const { data } = await call(ctx.client.GET('/v1/incidents', { params: { query } }), ctx.baseUrl);
    if (ctx.json) ctx.out(JSON.stringify(data, null, 2));
    else if (!data.items.length) ctx.out('no incidents');
    else {
      const rows = data.items.map((i) => [i.id, i.workflowId, i.type, i.kind, i.status, i.retries, time(i.createdAt), errorText(i.error)]);
      ctx.out(table(['id', 'workflow', 'type', 'kind', 'status', 'retries', 'created', 'error'], rows));
    }
    return 0;
  },
};

export const retry: Command = {
  name: 'retry',
  summary: "apply an incident's kept input again (after a fix)",
  synopsis: '<incident-id> --reason R',
  details: ['--reason R  why: recorded in the workflow\'s history with you'],
  positionals: ['incident-id'],
  options: { reason: { type: 'string' } },
  async run(ctx, [id], v) {
    if (typeof v.reason !== 'string' || !v.reason.trim()) throw new UsageError('--reason is required: say why', 'retry');
    const { data, status } = await call(ctx.client.POST('/v1/incidents/{id}/retry', { params: { path: { id } }, body: { reason: v.reason } }), ctx.baseUrl);
    if (ctx.json) ctx.out(JSON.stringify(data, null, 2));
    else if (status === 202 && 'pendingApproval' in data) ctx.out(`kept for a second operator: approval ${data.pendingApproval.id} (dual control)`);
    else if ('incident' in data) ctx.out(`retried incident ${data.incident.id}: workflow ${data.workflow.id} is ${data.workflow.status} in ${stateText(data.workflow.state)}`);
    return 0;
  },
};
