import type { WorkflowDefinition } from '../definition/definition';
import type { EagerDispatch, TimerHold } from './local-work';
import type { ActivityJob, OutboxEntry, TimerJob } from './jobs';
import type { Tx } from './sql';
import type { StepObservation } from '../telemetry/telemetry';

/** State shared by every instance touched in one transaction (a parent and the children it starts). */
export class TxContext {
  readonly outbox: OutboxEntry[] = [];
  /** Told to telemetry after the commit, with the transaction's duration. */
  readonly observations: (Omit<StepObservation, 'durationMs'> & { startedAt: number })[] = [];
  /** Timers applied in this transaction, for their lateness once committed. */
  readonly firedTimers: { workflowId: string; type: string; version: number; dueAt: Date }[] = [];
  /** Outbox rows already written, with their ids, in order. */
  readonly written: (OutboxEntry & { id: string })[] = [];

  /** Activities this transaction leased to this process, run here once it commits. */
  private readonly eagerJobs: ActivityJob[] = [];
  /** Timers this transaction set that this process holds and fires from memory once it commits. */
  private readonly localTimers: (TimerJob & { dueAt: number })[] = [];

  /** `trace`: the W3C trace context of the transaction, carried in every job it adds. */
  constructor(
    readonly tx: Tx,
    private trace: Record<string, string> = {},
    private readonly eager?: EagerDispatch,
    private readonly timers?: TimerHold,
  ) {}

  /** Reserves a place for a timer set in this transaction to be fired from memory (local-work.ts). */
  reserveTimer(delayMs: number): boolean {
    return this.timers?.reserve(delayMs) ?? false;
  }

  addLocalTimer(job: TimerJob & { dueAt: number }): void {
    this.localTimers.push(job);
  }

  /** Reserves an eager slot for an activity scheduled in this transaction; false: it goes through BullMQ. */
  claimEager(): boolean {
    return this.eager?.claim() ?? false;
  }

  /** An activity leased to this process: run once committed. */
  addEager(job: ActivityJob): void {
    this.eagerJobs.push(this.trace.traceparent ? { ...job, trace: this.trace } : job);
  }

  /** An activity leased in this transaction and stopped in it again (a state left at once): it will not run. */
  dropEager(invocationId: string): void {
    const i = this.eagerJobs.findIndex((j) => j.invocationId === invocationId);
    if (i < 0) return;
    this.eagerJobs.splice(i, 1);
    this.eager!.release();
  }

  /** After the commit: the leased activities start, the timers set are held, those cancelled dropped. */
  runLocal(): void {
    for (const job of this.eagerJobs.splice(0)) this.eager!.run(job);
    if (!this.timers) return;
    for (const job of this.localTimers.splice(0)) this.timers.hold(job);
    for (const e of this.written) if (e.op === 'remove' && e.queue === 'timers') this.timers.cancel(e.jobId.replace(/^t-/, ''));
  }

  /** The transaction rolled back (or is tried again): its reservations are given back. */
  releaseLocal(): void {
    for (let i = this.eagerJobs.splice(0).length; i > 0; i--) this.eager!.release();
    for (let i = this.localTimers.splice(0).length; i > 0; i--) this.timers!.release();
  }

  /** In a transaction that applies several workers' inputs, each instance's jobs continue its own input's trace. */
  useTrace(carrier: Record<string, string> | undefined): void {
    this.trace = carrier ?? {};
  }

  /** The entries not yet written, emptied, each add carrying the trace context. */
  takeOutbox(): OutboxEntry[] {
    const entries = this.outbox.splice(0);
    if (!this.trace.traceparent) return entries;
    return entries.map((e) => (e.op === 'add' && e.payload.data ? { ...e, payload: { ...e.payload, data: { ...(e.payload.data as object), trace: this.trace } } } : e));
  }
}

export type SpawnChild = (
  ctx: TxContext,
  definition: WorkflowDefinition,
  workflowId: string,
  input: unknown,
  parent: { parentId: string; invocationId: string; tenant: string },
) => Promise<void>;
