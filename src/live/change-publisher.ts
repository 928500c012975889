import { Redis } from 'ioredis';
import type { EngineTelemetry } from '../engine/telemetry/telemetry';

/** The Redis channel on which every process says which instances its commits changed. */
export function changesChannel(queuePrefix: string): string {
  return `${queuePrefix}:changes`;
}

const FLUSH_MS = 100;
const IDS_PER_MESSAGE = 500;

/**
 * Tells the HTTP processes which instances a commit changed, so pages with the instance open
 * refresh at once instead of polling. Observes committed steps (after the COMMIT, never
 * inside a transaction) and publishes their stored ids, coalesced over 100 ms, on a Redis
 * channel. A hint, not a record: a message lost with Redis costs a page one refresh, which
 * its slow fallback poll makes up for; PostgreSQL stays the only source of truth.
 */
export class ChangePublisher {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private redis: Redis | undefined;
  private closed = false;

  constructor(
    private readonly redisUrl: string,
    private readonly channel: string,
  ) {}

  /** The engine-telemetry side: cheap, never throws. */
  readonly telemetry: Pick<EngineTelemetry, 'stepCommitted'> = {
    stepCommitted: (o) => this.changed(o.workflowId),
  };

  changed(storedId: string): void {
    if (this.closed) return;
    this.pending.add(storedId);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pending.size === 0 || this.closed) return;
    const ids = [...this.pending];
    this.pending.clear();
    this.redis ??= new Redis(this.redisUrl, { maxRetriesPerRequest: 1, connectionName: 'statera-changes' }).on('error', () => undefined);
    for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
      this.redis.publish(this.channel, JSON.stringify(ids.slice(i, i + IDS_PER_MESSAGE))).catch(() => undefined);
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
    await this.redis?.quit().catch(() => undefined);
  }
}

/** Every observer told of each observation, in order. */
export function fanOut(first: EngineTelemetry, ...more: Partial<EngineTelemetry>[]): EngineTelemetry {
  if (more.length === 0) return first;
  return {
    stepCommitted: (o) => {
      first.stepCommitted(o);
      for (const t of more) t.stepCommitted?.(o);
    },
    activityAttempt: (o) => {
      first.activityAttempt(o);
      for (const t of more) t.activityAttempt?.(o);
    },
    timerFired: (o) => {
      first.timerFired(o);
      for (const t of more) t.timerFired?.(o);
    },
  };
}
