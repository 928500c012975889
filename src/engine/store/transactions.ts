import { performance } from 'node:perf_hooks';
import { context, propagation } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import type { EagerDispatch, TimerHold } from './local-work';
import type { OutboxEntry } from './jobs';
import { insertOutbox } from './instance-write';
import { inSpan } from '../telemetry/spans';
import { inTransaction } from './sql';
import { TxContext } from './tx-context';
import type { EngineTelemetry } from '../telemetry/telemetry';

export type WrittenOutbox = (OutboxEntry & { id: string })[];

/**
 * The engine's transactions: each in a span whose context every job it adds carries on,
 * its outbox rows written before COMMIT (by the last step, or here for what is left), and
 * what it did told to telemetry only once committed.
 */
export class Transactions {
  /** Set when this process runs activities: those a transaction leases to it start after its commit. */
  eager?: EagerDispatch;
  /** Set when this process holds the timers its transactions set and fires them from memory. */
  timers?: TimerHold;

  constructor(
    private readonly db: DataSource,
    private readonly telemetry: EngineTelemetry,
  ) {}

  async run<R>(fn: (ctx: TxContext) => Promise<R>): Promise<{ result: R; outbox: WrittenOutbox }> {
    return inSpan('statera.transition', {}, async () => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      // A deadlock runs `fn` again in a new transaction: the attempt before gives its reservations back.
      let attempt: TxContext | undefined;
      let committed: { result: R; ctx: TxContext };
      try {
        committed = await inTransaction(this.db, async (tx) => {
          attempt?.releaseLocal();
          const ctx = (attempt = new TxContext(tx, carrier, this.eager, this.timers));
          const result = await fn(ctx);
          // Rows no step wrote with its instance (a transaction that only replays an earlier start writes none).
          const rest = ctx.takeOutbox();
          const ids = await insertOutbox(tx, rest);
          ctx.written.push(...rest.map((e, i) => ({ ...e, id: ids[i] })));
          return { result, ctx };
        });
      } catch (err) {
        attempt?.releaseLocal();
        throw err;
      }
      const { result, ctx } = committed;
      ctx.runLocal();
      this.observe(ctx);
      return { result, outbox: ctx.written };
    });
  }

  /** After the commit: a failing observer must not make a committed transaction look failed. */
  private observe(ctx: TxContext): void {
    try {
      const now = Date.now();
      const end = performance.now();
      for (const { startedAt, ...o } of ctx.observations) this.telemetry.stepCommitted({ ...o, durationMs: end - startedAt });
      for (const t of ctx.firedTimers) this.telemetry.timerFired({ workflowId: t.workflowId, type: t.type, version: t.version, latenessMs: now - t.dueAt.getTime() });
    } catch {
      // Telemetry is best effort; the application's observer reports its own failures.
    }
  }
}
