import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RoleRateLimit } from '../config/config';
import type { Principal, Role } from './principal';

/** What one limiter said about one request: enough for the RateLimit-* headers and Retry-After. */
export interface RateDecision {
  allowed: boolean;
  /** The bucket reported: the one that refused, else the one closest to its limit. */
  scope: 'key' | 'tenant' | 'address';
  limit: number;
  remaining: number;
  /** Until the bucket's window ends. */
  resetMs: number;
  /** An allowed request of a key that was over its limit lately: wait this long first, so its share is spread over the window. */
  paceMs?: number;
}

export interface RateLimiterOptions {
  redisUrl: string;
  /** Keys live under `<keyPrefix>:ratelimit:`: QUEUE_PREFIX, so a deployment (or a test) owns its own. */
  keyPrefix: string;
  limits: Readonly<Record<Role, RoleRateLimit>>;
  windowMs: number;
  authFailures: number;
  authWindowMs: number;
  log?: (level: 'warn' | 'info', message: string, fields?: Record<string, unknown>) => void;
}

/** How long the limiter waits for Redis before counting in process memory instead. */
const REDIS_TIMEOUT_MS = 250;
/** While Redis is away, the warning is repeated this often, not once per request. */
const WARN_EVERY_MS = 60_000;
const BLOCKED_KEYS_MAX = 10_000;
/** How many windows after going over its limit a key stays paced. */
const PACED_WINDOWS = 5;

function remember(map: Map<string, number>, key: string, until: number): void {
  if (map.size >= BLOCKED_KEYS_MAX && !map.has(key)) map.delete(map.keys().next().value as string);
  map.set(key, until);
}

/** The in-memory stand-in, used only when Redis cannot answer: it says so. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    options: { keyPrefix: string; points: number; duration: number },
    private readonly used: () => void,
  ) {
    super(options);
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    this.used();
    return super.consume(key, points, options);
  }
}

/**
 * Fixed-window counters in Redis (rate-limiter-flexible), shared by every API process: per API
 * key, per tenant, and failed authentications per client address. When Redis cannot answer,
 * each process counts in its own memory (the insurance limiters): limits hold per process,
 * the API stays up, and a warning says so once per outage.
 */
export class RateLimiter {
  private readonly redis: Redis;
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly authFailures: RateLimiterRedis;
  /** Keys over their limit, until their window ends: refused without asking Redis or touching their tenant's bucket. */
  private readonly blockedKeys = new Map<string, number>();
  /** Keys over their limit lately, until when: their allowed requests are paced. */
  private readonly pacedKeys = new Map<string, number>();
  private warnedAt = 0;

  constructor(private readonly options: RateLimiterOptions) {
    // No offline queue and one try per command: a request never waits on a Redis that is away.
    this.redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_TIMEOUT_MS, connectionName: 'statera-ratelimit' });
    this.redis.on('error', (err: Error) => this.down(err.message));
    this.redis.on('ready', () => {
      if (this.warnedAt) options.log?.('info', 'rate limiter: Redis answers again; limits are shared by every API process');
      this.warnedAt = 0;
    });
    this.authFailures = this.limiter('authfail', options.authFailures, options.authWindowMs);
  }

  /**
   * One point on the key's bucket and one on its tenant's, in one Redis round trip. A key over
   * its limit gives its tenant's point back: one client's excess does not use up its tenant's
   * share. Once over, the key is refused from this process's memory until its window ends.
   */
  async consumeRequest(principal: Principal, keyId: string): Promise<RateDecision> {
    const limits = limitsOf(principal, this.options.limits);
    const keys = this.limiter('key', limits.perKey, this.options.windowMs);
    const tenants = this.limiter('tenant', limits.perTenant, this.options.windowMs);
    const blockedFor = (this.blockedKeys.get(keyId) ?? 0) - Date.now();
    if (blockedFor > 0) return { allowed: false, scope: 'key', limit: limits.perKey, remaining: 0, resetMs: blockedFor };
    this.blockedKeys.delete(keyId);
    const [key, tenant] = await Promise.all([this.consume(keys, keyId, 'key', limits.perKey), this.consume(tenants, principal.tenant, 'tenant', limits.perTenant)]);
    if (!key.allowed) {
      remember(this.blockedKeys, keyId, Date.now() + key.resetMs);
      remember(this.pacedKeys, keyId, Date.now() + key.resetMs + PACED_WINDOWS * this.options.windowMs);
      if (tenant.allowed) tenants.reward(principal.tenant).catch(() => undefined);
      return key;
    }
    if (!tenant.allowed) return tenant;
    const decision = tenant.remaining < key.remaining ? tenant : key;
    return { ...decision, paceMs: this.paceOf(keyId, key) };
  }

  /**
   * A key that went over its limit in the last windows gets its next windows' requests spread
   * evenly (the n-th not before n/limit of the window): a client that floods spends its share
   * at the rate it is granted, not as a herd at each window's start. Others are not paced.
   */
  private paceOf(keyId: string, key: RateDecision): number {
    const until = this.pacedKeys.get(keyId);
    if (until === undefined) return 0;
    if (until < Date.now()) {
      this.pacedKeys.delete(keyId);
      return 0;
    }
    const consumed = key.limit - key.remaining;
    const elapsed = this.options.windowMs - key.resetMs;
    return Math.max(0, Math.round(((consumed - 1) * this.options.windowMs) / key.limit - elapsed));
  }

  /**
   * One point for a refused key from this address; refused (429) once over RATE_LIMIT_AUTH_FAILURES.
   * Only refusals count: a good key from the same address (a NAT, a proxy) keeps working.
   */
  async consumeAuthFailure(address: string): Promise<RateDecision> {
    return this.consume(this.authFailures, address, 'address', this.options.authFailures);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * One limiter per (bucket kind, limit): limiters of one kind share the Redis key, so a tenant's
   * requests count together whatever the role of each; each role's threshold applies to its own.
   * Over the limit, the bucket is blocked in this process's memory until the window ends, so a
   * flood costs no Redis round trip.
   */
  private limiter(kind: 'key' | 'tenant' | 'authfail', points: number, windowMs: number): RateLimiterRedis {
    const id = `${kind}:${points}:${windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const common = { keyPrefix: `${this.options.keyPrefix}:ratelimit:${kind}`, points, duration: windowMs / 1000 };
      limiter = new RateLimiterRedis({
        ...common,
        storeClient: this.redis,
        rejectIfRedisNotReady: true,
        inMemoryBlockOnConsumed: points + 1,
        insuranceLimiter: new InsuranceLimiter(common, () => this.down('Redis is not ready or did not answer in time')),
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  private async consume(limiter: RateLimiterRedis, key: string, scope: RateDecision['scope'], limit: number): Promise<RateDecision> {
    try {
      const res = await limiter.consume(key);
      return { allowed: true, scope, limit, remaining: res.remainingPoints, resetMs: res.msBeforeNext };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, scope, limit, remaining: 0, resetMs: err.msBeforeNext };
      // Neither Redis nor the memory fallback answered: let the request through rather than fail it.
      this.down((err as Error)?.message ?? String(err));
      return { allowed: true, scope, limit, remaining: limit, resetMs: this.options.windowMs };
    }
  }

  private down(message: string): void {
    if (Date.now() - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = Date.now();
    this.options.log?.('warn', 'rate limiter: Redis unreachable; each API process counts its own requests until it answers', { error: message });
  }
}

/** The most generous limits among the principal's roles; a principal without roles gets the least generous. */
export function limitsOf(principal: Principal, limits: Readonly<Record<Role, RoleRateLimit>>): RoleRateLimit {
  const mine = principal.roles.map((r) => limits[r]).filter(Boolean);
  const pool = mine.length ? mine : Object.values(limits);
  const pick = mine.length ? Math.max : Math.min;
  return { perKey: pick(...pool.map((l) => l.perKey)), perTenant: pick(...pool.map((l) => l.perTenant)) };
}
