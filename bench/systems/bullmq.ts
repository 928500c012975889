// Raw BullMQ, the floor: five chained jobs per "workflow" (each job adds the next one when it
// finishes), no PostgreSQL, no history, nothing durable beyond Redis itself. The worker runs
// in this process with the concurrency Statera's activity workers have by default.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { runBounded, runStarts, type ThroughputRun } from '../driver';
import { deletePrefix, newPrefix, REDIS_URL, trackCloser } from '../infra';

interface ChainJob {
  chain: string;
  step: number;
  n: number;
  startedAt: number;
}

const CONCURRENCY = 16;
const KEEP = { removeOnComplete: true, removeOnFail: true };

export class BullmqSystem {
  private readonly waiting = new Map<string, (latencyMs: number) => void>();
  private readonly connection: Redis;
  private readonly queue: Queue<ChainJob>;
  private readonly delayed: Queue<ChainJob>;
  private readonly workers: Worker[];
  private untrack: () => void = () => undefined;

  private constructor(readonly prefix: string) {
    this.connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    this.queue = new Queue<ChainJob>('chain', { connection: this.connection, prefix });
    this.delayed = new Queue<ChainJob>('delayed', { connection: this.connection, prefix });
    this.workers = [
      new Worker<ChainJob>(
        'chain',
        async (job) => {
          const { chain, step, n, startedAt } = job.data;
          const output = { step, n, ok: true };
          if (step < 5) await this.queue.add(`step${step + 1}`, { chain, step: step + 1, n, startedAt }, KEEP);
          else this.finish(chain, Date.now() - startedAt);
          return output;
        },
        { connection: this.connection, prefix, concurrency: CONCURRENCY },
      ),
      // Delayed jobs: lateness is when the job ran minus when it was due.
      new Worker<ChainJob>('delayed', async (job) => this.finish(job.data.chain, Date.now() - (job.timestamp + (job.opts.delay ?? 0))), {
        connection: this.connection,
        prefix,
        concurrency: CONCURRENCY,
      }),
    ];
  }

  static async create(kind: string): Promise<BullmqSystem> {
    const system = new BullmqSystem(newPrefix(`${kind}-bullmq`));
    await Promise.all(system.workers.map((w) => w.waitUntilReady()));
    system.untrack = trackCloser(() => system.close());
    return system;
  }

  private finish(chain: string, ms: number): void {
    this.waiting.get(chain)?.(ms);
    this.waiting.delete(chain);
  }

  private settle(chain: string): Promise<number> {
    return new Promise<number>((resolve) => this.waiting.set(chain, resolve));
  }

  async runFiveStep(count: number, inFlight: number, tag: string): Promise<ThroughputRun> {
    const latencies: number[] = [];
    const began = performance.now();
    await runBounded(count, inFlight, async (i) => {
      const chain = `${tag}-${i}`;
      const done = this.settle(chain);
      await this.queue.add('step1', { chain, step: 1, n: i, startedAt: Date.now() }, KEEP);
      latencies.push(await done);
    });
    return { system: 'bullmq', completed: latencies.length, failed: count - latencies.length, wallMs: performance.now() - began, latencies };
  }

  async runTimers(count: number, inFlight: number, tag: string, pacingMs?: number): Promise<number[]> {
    const lateness: Promise<number>[] = [];
    await runStarts(count, inFlight, pacingMs, async (i) => {
      const chain = `${tag}-${i}`;
      lateness.push(this.settle(chain));
      await this.delayed.add('timer', { chain, step: 1, n: i, startedAt: Date.now() }, { ...KEEP, delay: 1000 });
    });
    return Promise.all(lateness);
  }

  async close(): Promise<void> {
    this.untrack();
    await Promise.all(this.workers.map((w) => w.close()));
    await this.queue.close();
    await this.delayed.close();
    await this.connection.quit().catch(() => undefined);
    await deletePrefix(this.prefix);
  }
}
