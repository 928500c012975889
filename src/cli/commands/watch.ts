import { TERMINAL_STATUSES, type HistoryRecord, type WorkflowDetail } from '../../client';
import { call, positiveInt } from '../api';
import type { Command } from '../command';
import { ApiError } from '../errors';
import { elapsed, stateText } from '../format';
import { eventType } from './workflows';

const DEFAULT_INTERVAL_MS = 500;

/** One printed line of a history record: `+1.2s    #6  event.received  awaitingApproval → completed  (transfer.approved by principal:ops-1)`. */
function recordLine(at: string, r: HistoryRecord): string {
  const before = r.stateBefore === null || r.stateBefore === undefined ? '' : `${stateText(r.stateBefore)} `;
  const after = r.stateAfter === null || r.stateAfter === undefined ? undefined : stateText(r.stateAfter);
  const move = after !== undefined && `${after} ` !== before ? `  ${before}→ ${after}` : '';
  // The engine's own events (`xstate.init`, `xstate.done.actor.…`) say nothing the kind does not.
  const event = eventType(r.event);
  const why = [event?.startsWith('xstate.') ? null : event, r.actor.startsWith('principal:') ? `by ${r.actor}` : null, ['ok', 'accepted'].includes(r.outcome) ? null : r.outcome, r.reason]
    .filter(Boolean)
    .join(' ');
  return `${at}  #${r.seq}  ${r.kind}${move}${why ? `  (${why})` : ''}`;
}

/**
 * Follows a workflow until it ends: every history record as it is recorded (when the key may
 * read the history), else every change of status and state. Exit 0 when it completed, 1 when
 * it failed, was cancelled or terminated, or --timeout passed first.
 */
export const watch: Command = {
  name: 'watch',
  summary: 'follow a workflow until it ends',
  synopsis: '<id> [--interval MS] [--timeout S]',
  details: [
    `--interval MS  how often to look (default ${DEFAULT_INTERVAL_MS})`,
    '--timeout S    give up after this many seconds (exit 1); default: wait for the end',
    'exit 0 when it ends completed; 1 when failed, cancelled or terminated',
    'with --json: each history record as one JSON line, then the workflow as it ended',
  ],
  positionals: ['id'],
  options: { interval: { type: 'string' }, timeout: { type: 'string' } },
  async run(ctx, [id], v) {
    const intervalMs = positiveInt('interval', v.interval, 'watch') ?? DEFAULT_INTERVAL_MS;
    const timeoutS = positiveInt('timeout', v.timeout, 'watch');
    const started = ctx.now();
    const stamp = () => `+${elapsed(ctx.now() - started)}`.padEnd(8);
    let seen = 0;
    let readsHistory = true;
    let last = '';

    const follow = async (workflow: WorkflowDetail) => {
      if (readsHistory) {
        try {
          const { data } = await call(ctx.client.GET('/v1/workflows/{id}/history', { params: { path: { id } } }), ctx.baseUrl);
          for (const r of data.items.filter((item) => item.seq > seen)) ctx.out(ctx.json ? JSON.stringify(r) : recordLine(stamp(), r));
          seen = Math.max(seen, ...data.items.map((r) => r.seq));
          return;
        } catch (err) {
          // A reviewer may read the workflow, not its history: follow its status and state instead.
          if (!(err instanceof ApiError && err.status === 403)) throw err;
          readsHistory = false;
          if (!ctx.json) ctx.out(`${stamp()}  (this key may not read the history: showing status and state only)`);
        }
      }
      const now = `${workflow.status} in ${stateText(workflow.state)}`;
      if (now !== last && !ctx.json) ctx.out(`${stamp()}  ${now}`);
      last = now;
    };

    for (;;) {
      const { data: workflow } = await call(ctx.client.GET('/v1/workflows/{id}', { params: { path: { id } } }), ctx.baseUrl);
      await follow(workflow);
      if (TERMINAL_STATUSES.includes(workflow.status)) {
        const took = elapsed(ctx.now() - started);
        if (ctx.json) ctx.out(JSON.stringify(workflow));
        else ctx.out(`${workflow.id} ended ${workflow.status}${workflow.outcome ? `, outcome ${workflow.outcome}` : ''}, in ${stateText(workflow.state)} after ${took}`);
        return workflow.status === 'completed' ? 0 : 1;
      }
      if (timeoutS !== undefined && ctx.now() - started >= timeoutS * 1000) {
        ctx.err(`error: ${workflow.id} is still ${workflow.status} in ${stateText(workflow.state)} after ${timeoutS}s`);
        return 1;
      }
      await ctx.sleep(intervalMs);
    }
  },
};
