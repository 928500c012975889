import type { Task } from '../../client';
import { call, choice, jsonObjectArgument, positiveInt } from '../api';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { table, time } from '../format';

const STATUSES = Object.keys({ open: 1, completed: 1, closed: 1 } satisfies Record<Task['status'], 1>) as Task['status'][];

export const tasks: Command = {
  name: 'tasks',
  summary: 'the task inbox: human tasks you may see, newest first',
  synopsis: '[--mine] [--status S] [--workflow ID] [--limit N]',
  details: ['--mine         only the tasks you have claimed', `--status S     ${STATUSES.join(', ')}, or all (default open)`, '--workflow ID  the tasks of one workflow', '--limit N      at most 200 (default 50)'],
  positionals: [],
  options: { mine: { type: 'boolean' }, status: { type: 'string' }, workflow: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx, _p, v) {
    const status = v.status === 'all' ? undefined : (choice('status', v.status, STATUSES, 'tasks') ?? 'open');
    // "Mine": claimed by the principal of this key, whoever that is.
    const assignee = v.mine ? (await call(ctx.client.GET('/v1/me'), ctx.baseUrl)).data.id : undefined;
    const query = { status, assignee, workflow: typeof v.workflow === 'string' ? v.workflow : undefined, limit: positiveInt('limit', v.limit, 'tasks') };
    const { data } = await call(ctx.client.GET('/v1/tasks', { params: { query } }), ctx.baseUrl);
    if (ctx.json) ctx.out(JSON.stringify(data, null, 2));
    else if (!data.items.length) ctx.out('no tasks');
    else {
      const due = (t: Task) => (t.dueAt ? `${time(t.dueAt)}${t.overdue && t.status === 'open' ? ' (overdue)' : ''}` : null);
      const rows = data.items.map((t) => [t.id, t.workflowId, t.title, t.status, t.claimedBy, t.decisions.join('|'), t.candidateGroups.join(','), due(t)]);
      ctx.out(table(['id', 'workflow', 'title', 'status', 'claimed by', 'decisions', 'groups', 'due'], rows));
    }
    return 0;
  },
};

export const complete: Command = {
  name: 'complete',
  summary: 'decide a human task',
  synopsis: '<task-id> --decision D [--data JSON|@file]',
  details: ['--decision D       one of the task\'s decisions (see `statera tasks`)', '--data JSON|@file  the decision\'s form data, an object'],
  positionals: ['task-id'],
  options: { decision: { type: 'string' }, data: { type: 'string' } },
  async run(ctx, [id], v) {
    if (typeof v.decision !== 'string' || !v.decision) throw new UsageError('--decision is required', 'complete');
    const data = typeof v.data === 'string' ? jsonObjectArgument('data', v.data, 'complete') : undefined;
    const { data: task } = await call(ctx.client.POST('/v1/tasks/{id}/complete', { params: { path: { id } }, body: { decision: v.decision, ...(data ? { data } : {}) } }), ctx.baseUrl);
    ctx.out(ctx.json ? JSON.stringify(task, null, 2) : `completed task ${task.id} (${task.title}) with ${task.decision} for workflow ${task.workflowId}`);
    return 0;
  },
};
