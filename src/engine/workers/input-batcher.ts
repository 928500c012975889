import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { EngineInput } from '../loop/engine-inputs';

export interface BatchTarget {
  /** All of them in one transaction; throws if any cannot be applied. */
  applyTogether(inputs: readonly EngineInput[]): Promise<void>;
  /** One, in its own transaction, with its own failure handling. */
  applyInput(input: EngineInput): Promise<void>;
}

interface Waiting {
  input: EngineInput;
  /** Not applied when still waiting at this time (ms since the epoch): someone else has it by then. */
  expiresAt?: number;
  /** The submitter's trace: an input applied on its own continues it. */
  trace: Context;
  resolve: (applied: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for worker results. While a few transactions are in flight, the results that
 * arrive meanwhile wait and then go together in one transaction, so the commit rate stops
 * bounding the transition rate under load; alone, a result goes at once and waits for nobody.
 * Each caller's promise settles when its own input is committed (or has failed), so a job
 * still completes only after its result is durable.
 */
export class InputBatcher {
  private readonly waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly target: BatchTarget,
    private readonly options: { maxBatch: number; inFlight: number },
  ) {}

  /** Resolves true once committed; false when it waited past `expiresAt` and was left (not applied). */
  submit(input: EngineInput, expiresAt?: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ input, expiresAt, trace: context.active(), resolve, reject });
      // The drain outlives this caller and serves others: it must not run in the caller's trace.
      if (this.running < this.options.inFlight) context.with(ROOT_CONTEXT, () => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    this.running++;
    try {
      while (this.waiting.length > 0) await this.run(this.waiting.splice(0, this.options.maxBatch));
    } finally {
      this.running--;
    }
  }

  private async run(taken: Waiting[]): Promise<void> {
    const now = Date.now();
    const batch = taken.filter((w) => w.expiresAt === undefined || w.expiresAt > now || (w.resolve(false), false));
    if (batch.length === 0) return;
    if (batch.length > 1) {
      try {
        await this.target.applyTogether(batch.map((w) => w.input));
        for (const w of batch) w.resolve(true);
        return;
      } catch {
        // Nothing of the batch was committed: each goes again on its own, so one input the
        // engine cannot apply fails its own workflow and holds up no other.
      }
    }
    await Promise.all(batch.map((w) => context.with(w.trace, () => this.target.applyInput(w.input)).then(() => w.resolve(true), w.reject)));
  }
}
