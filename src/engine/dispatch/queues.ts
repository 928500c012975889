import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, type OutboxEntry, type QueueName } from '../store/jobs';

/** Keep finished jobs a while, so a duplicate add with the same id is still recognised. */
const KEEP = { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } } as const;

/** The engine's BullMQ queues, under one key prefix per deployment (or per test file). */
export class QueueSet {
  readonly queues: Record<QueueName, Queue>;

  constructor(
    readonly connection: Redis,
    readonly prefix: string,
  ) {
    this.queues = Object.fromEntries(QUEUES.map((name) => [name, new Queue(name, { connection, prefix })])) as Record<QueueName, Queue>;
    // Connection errors are reported once by the runtime's connection; each call's own failure reaches its caller.
    for (const q of Object.values(this.queues)) q.on('error', () => undefined);
  }

  /** Applies outbox rows to BullMQ. Adding a job id that exists returns the existing job, so this is safe to repeat. */
  async apply(entries: readonly OutboxEntry[]): Promise<void> {
    const adds = new Map<QueueName, OutboxEntry[]>();
    const removals: Promise<unknown>[] = [];
    for (const e of entries) {
      if (e.op === 'remove') {
        // An active job cannot be removed: its late result is discarded by the engine instead.
        removals.push(this.queues[e.queue].remove(e.jobId).catch(() => 0));
      } else {
        adds.set(e.queue, [...(adds.get(e.queue) ?? []), e]);
      }
    }
    const now = Date.now();
    await Promise.all([
      ...[...adds].map(([queue, list]) =>
        this.queues[queue].addBulk(
          list.map((e) => ({
            name: e.payload.name,
            data: e.payload.data,
            opts: jobOptions(e, now),
          })),
        ),
      ),
      ...removals,
    ]);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}

function jobOptions(e: OutboxEntry, now: number): JobsOptions {
  const delay = Math.max(0, new Date(e.runAt).getTime() - now);
  const opts: JobsOptions = { jobId: e.jobId, ...KEEP };
  if (delay > 0) opts.delay = delay;
  if (e.payload.attempts !== undefined) {
    // Activities and effects: the definition's retry policy, computed by the worker.
    opts.attempts = e.payload.attempts;
    opts.backoff = { type: 'policy' };
  } else {
    // Engine jobs (timer fires, child notifications) only fail when PostgreSQL does.
    opts.attempts = 20;
    opts.backoff = { type: 'exponential', delay: 200 };
  }
  return opts;
}

/** `call`, or a rejection with `message` once `ms` have passed: a Redis that hangs must not hang its caller. */
export async function withinMs<T>(call: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([call, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
