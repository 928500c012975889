import type { OperatorActions } from '../engine/loop/operator-actions';
import type { BatchOperations } from './batches';
import type { OperatorService } from './operator-service';
import type { Schedules } from '../schedules/schedules';
import type { Retention } from './retention';

export interface OperationsRunnerOptions {
  intervalMs: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The background half of the operator's tools, in every process: carries out pending batch
 * items, applies inputs held by instances nothing holds any more (a crash between a resume and
 * its drain), and expires approvals nobody decided. Everything it does is driven by rows, so
 * a process that dies mid-way leaves the rest to the next pass of any process.
 */
export class OperationsRunner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly actions: OperatorActions,
    private readonly batches: BatchOperations,
    private readonly approvals: OperatorService,
    private readonly options: OperationsRunnerOptions,
    private readonly schedules?: Schedules,
    private readonly retention?: Retention,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a pass now (a batch just created need not wait for the interval). */
  kick(): void {
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass; batches are worked until nothing is pending, so a large one does not wait an interval per 50 items. */
  async pass(): Promise<void> {
    for (let settled = 1; settled > 0 && !this.stopped; ) settled = await this.batches.runPending();
    await this.actions.drainBacklog();
    await this.approvals.expire();
    // Schedules: each pass makes the fires that are due (a second process finds them leased).
    for (let worked = 1; worked > 0 && !this.stopped; ) worked = (await this.schedules?.fireDue()) ?? 0;
    // Retention, at its own interval, by one process of the deployment at a time.
    await this.retention?.runIfDue();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .catch((err) => this.options.log('operations pass failed', { error: (err as Error).message }))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.options.intervalMs);
        });
    }, delayMs);
  }
}
