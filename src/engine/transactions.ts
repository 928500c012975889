import { performance } from 'node:perf_hooks';
import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import type { OutboxEntry } from './jobs';
import { inTransaction, type Tx } from './sql';
import { TxContext } from './tx-context';
import type { EngineTelemetry } from './telemetry';

const tracer = trace.getTracer('statera-engine');

export type WrittenOutbox = (OutboxEntry & { id: string })[];

/**
 * The engine's transactions: each in a span whose context every job it adds carries on,
 * its outbox rows written before COMMIT (by the last step, or here for what is left), and
 * what it did told to telemetry only once committed.
 */
export class Transactions {
  constructor(
    private readonly db: DataSource,
    private readonly telemetry: EngineTelemetry,
  ) {}

  async run<R>(fn: (ctx: TxContext) => Promise<R>): Promise<{ result: R; outbox: WrittenOutbox }> {
    return tracer.startActiveSpan('statera.transition', async (span) => {
      try {
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        const { result, ctx } = await inTransaction(this.db, async (tx) => {
          const ctx = new TxContext(tx, carrier);
          const result = await fn(ctx);
          ctx.written.push(...(await writeOutbox(tx, ctx.takeOutbox())));
          return { result, ctx };
        });
        this.observe(ctx);
        return { result, outbox: ctx.written };
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
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

/** Outbox rows no step wrote with its instance (a transaction that only replays an earlier start writes none). */
async function writeOutbox(tx: Tx, entries: OutboxEntry[]): Promise<WrittenOutbox> {
  if (entries.length === 0) return [];
  const values: unknown[] = [];
  const tuples = entries.map((e, i) => {
    values.push(e.workflowId, e.queue, e.op, e.jobId, JSON.stringify(e.payload), e.runAt);
    const b = i * 6;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
  });
  const ids = await tx.rows<{ id: string }>(
    `INSERT INTO outbox (workflow_id, queue, op, job_id, payload, run_at) VALUES ${tuples.join(', ')} RETURNING id`,
    values,
  );
  return entries.map((e, i) => ({ ...e, id: ids[i].id }));
}
