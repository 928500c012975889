import { jobIds, type TimerJob } from '../store/jobs';
import { BACKSTOP_MS, type TimerHold } from '../store/local-work';

/** A fire from memory not yet applied this long before its backstop runs is left to the backstop. */
const EXPIRY_MARGIN_MS = 50;

/** Holds timers in memory; the contract and the backstop's rules are in local-work.ts. */
export interface LocalTimerOptions {
  /** Timers due within this long are held; later ones are BullMQ's alone. */
  horizonMs: number;
  /** At most this many held (reserved included). */
  maxHeld: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export class LocalTimers implements TimerHold {
  private readonly held = new Map<string, NodeJS.Timeout>();
  private reserved = 0;
  private running = false;

  constructor(
    /** Applies the fire (a group commit): true once committed, false when it was still waiting at `expiresAt`. */
    private readonly fire: (job: TimerJob, expiresAt: number) => Promise<boolean>,
    /** Removes the backstop job of a timer fired from memory. */
    private readonly removeBackstop: (jobId: string) => Promise<unknown>,
    private readonly options: LocalTimerOptions,
  ) {}

  get size(): number {
    return this.held.size;
  }

  start(): void {
    this.running = true;
  }

  /** Drops every held timer: their backstop jobs fire them. */
  stop(): void {
    this.running = false;
    for (const t of this.held.values()) clearTimeout(t);
    this.held.clear();
  }

  reserve(delayMs: number): boolean {
    if (!this.running || delayMs > this.options.horizonMs || this.held.size + this.reserved >= this.options.maxHeld) return false;
    this.reserved++;
    return true;
  }

  release(): void {
    this.reserved--;
  }

  hold(job: TimerJob & { dueAt: number }): void {
    this.reserved--;
    if (!this.running) return;
    const timeout = setTimeout(() => {
      this.held.delete(job.timerId);
      // Still waiting for the group commit when the backstop runs: the backstop's, not ours as well.
      this.fire(job, job.dueAt + BACKSTOP_MS - EXPIRY_MARGIN_MS).then(
        (applied) => (applied ? this.removeBackstop(jobIds.timer(job.timerId)).catch(() => undefined) : undefined),
        (err) => this.options.log('timer fired from memory not applied; its BullMQ job will fire it', { workflowId: job.workflowId, timerId: job.timerId, error: (err as Error).message }),
      );
    }, Math.max(0, job.dueAt - Date.now()));
    this.held.set(job.timerId, timeout);
  }

  cancel(timerId: string): void {
    clearTimeout(this.held.get(timerId));
    this.held.delete(timerId);
  }
}
