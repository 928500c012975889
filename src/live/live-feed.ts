import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import type { TenantScope } from '../auth/tenant-scope';
import { query } from '../engine/store/sql';
import { publicId } from '../engine/store/tenancy';

/** What a live page learns of a changed instance: enough to redraw a row, not the context (it refetches what it shows). */
export interface LiveChange {
  id: string;
  type: string;
  definitionVersion: number;
  version: number;
  status: string;
  outcome: string | null;
  state: unknown;
  businessKey: string | null;
  parentId: string | null;
  updatedAt: string;
}

interface Subscriber {
  scope: TenantScope;
  /** The stored id of the one workflow watched (its children's changes come too); none: the whole tenant. */
  workflowKey?: string;
  send(items: LiveChange[]): void;
}

const FLUSH_MS = 250;
export const MAX_SUBSCRIBERS = 1000;

/**
 * The HTTP process's end of the change channel: one Redis subscription while anyone listens,
 * the changed ids coalesced over 250 ms and read back in one primary-key query (so what is
 * sent is what PostgreSQL committed, with its tenant), then handed to each subscriber whose
 * tenant, and workflow if it named one, they belong to.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private redis: Redis | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly redisUrl: string,
    private readonly channel: string,
    private readonly onError: (message: string, err: unknown) => void = () => undefined,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** Returns the unsubscribe. */
  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    this.listen();
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stopListening();
    };
  }

  private listen(): void {
    if (this.redis) return;
    const redis = new Redis(this.redisUrl, { connectionName: 'statera-live' });
    redis.on('error', (err) => this.onError('live feed: redis', err));
    redis.on('message', (_channel: string, message: string) => {
      try {
        for (const id of JSON.parse(message) as string[]) this.pending.add(id);
      } catch {
        return;
      }
      this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
    });
    redis.subscribe(this.channel).catch((err: unknown) => this.onError('live feed: subscribe', err));
    this.redis = redis;
  }

  private stopListening(): void {
    const redis = this.redis;
    this.redis = undefined;
    this.pending.clear();
    redis?.quit().catch(() => redis.disconnect());
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending.clear();
    if (ids.length === 0 || this.subscribers.size === 0) return;
    let rows: (LiveChange & { storedId: string; storedParentId: string | null; tenant: string })[];
    try {
      rows = await query(
        this.dataSource,
        `SELECT id AS "storedId", tenant, type, definition_version AS "definitionVersion", version, status, outcome, state_value AS state,
                business_key AS "businessKey", parent_id AS "storedParentId", updated_at AS "updatedAt"
           FROM workflow_instance WHERE id = ANY($1::text[])`,
        [ids],
      );
    } catch (err) {
      this.onError('live feed: read', err);
      return;
    }
    for (const sub of this.subscribers) {
      const items = rows
        .filter((r) => r.tenant === sub.scope.tenant && (!sub.workflowKey || r.storedId === sub.workflowKey || r.storedParentId === sub.workflowKey))
        .map(({ storedId, storedParentId, tenant: _tenant, updatedAt, ...r }) => ({
          ...r,
          id: publicId(storedId),
          parentId: publicId(storedParentId),
          updatedAt: new Date(updatedAt).toISOString(),
        }));
      if (items.length) sub.send(items);
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.subscribers.clear();
    this.stopListening();
  }
}
