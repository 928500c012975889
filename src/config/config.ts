import { z } from 'zod';
import { ROLES, type Role } from '../auth/principal';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** An empty variable counts as unset (a compose file's `FOO=`). */
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional());

/** Requests per RATE_LIMIT_WINDOW_MS that one API key, and all of one tenant's keys together, may make. */
export interface RoleRateLimit {
  perKey: number;
  perTenant: number;
}

/**
 * Per second with the default window, sized so that one tenant's flood leaves a 2-vCPU API
 * process to the others (`npm run bench:fairness`: another tenant's p99 within 2×). A console
 * polls every 2 s; a machine client that needs more gets it through RATE_LIMITS, with the
 * capacity to match. A platform admin works across tenants from its own.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<Role, RoleRateLimit>> = {
  operator: { perKey: 25, perTenant: 50 },
  reviewer: { perKey: 25, perTenant: 50 },
  auditor: { perKey: 25, perTenant: 50 },
  admin: { perKey: 25, perTenant: 50 },
  'platform-admin': { perKey: 50, perTenant: 100 },
};

const positiveInt = z.number().int().positive();

/** RATE_LIMITS: JSON overrides by role, e.g. {"operator":{"perKey":50}}; what is not named keeps its default. */
const rateLimits = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.partialRecord(z.enum(ROLES), z.object({ perKey: positiveInt.optional(), perTenant: positiveInt.optional() }).strict()))
  .transform((given) => Object.fromEntries(ROLES.map((r) => [r, { ...DEFAULT_RATE_LIMITS[r], ...given[r] }])) as Record<Role, RoleRateLimit>);

const schema = z.object({
  ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/statera'),
  /** The application's connection; default: DATABASE_URL as the role `statera_app` the migrations create. */
  APP_DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(20),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('statera'),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().default(24),
  SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(5000),
  LOCK_DURATION_MS: z.coerce.number().int().positive().default(30_000),
  STALLED_INTERVAL_MS: z.coerce.number().int().positive().default(15_000),
  ACTIVITY_CONCURRENCY: z.coerce.number().int().positive().default(16),
  /** Activities a process runs itself right after the transaction that scheduled them, besides those from BullMQ; 0: every activity goes through BullMQ. */
  EAGER_ACTIVITIES: z.coerce.number().int().min(0).default(64),
  /** Timer fires applied at once per worker process; they are applied in batches, so a burst of due timers is not queued one by one. */
  TIMER_CONCURRENCY: z.coerce.number().int().positive().default(32),
  /** Timers due within this long are held by the process that set them and fired from memory on time; their BullMQ job stays as the backstop. 0: BullMQ only. */
  LOCAL_TIMER_HORIZON_MS: z.coerce.number().int().min(0).default(60_000),
  /** Comma-separated module paths whose exported `definitions` are registered besides machines/. */
  EXTRA_DEFINITIONS: z.string().default(''),
  SWAGGER: bool.default(true),
  /** Start the simulated partners with the API (development); processes reach them at PARTNERS_URL. */
  SANDBOX: bool.default(true),
  SANDBOX_PORT: z.coerce.number().int().min(1).max(65535).default(4010),
  PARTNERS_URL: z.string().url().optional(),
  /** JSON: configuration overrides by process type, e.g. {"fraud-check":{"lowThreshold":30}}. */
  PROCESS_CONFIG: z.string().optional(),
  /**
   * JSON: business calendars besides the shipped TARGET2 and DE, by id:
   * {"US-FED": {"timezone": "America/New_York", "holidays": ["2026-11-26", …], "weekendDays": [0, 6]}}.
   */
  CALENDARS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return {};
      const schema = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/), z.strictObject({ timezone: z.string(), weekendDays: z.array(z.number().int().min(0).max(6)).optional(), holidays: z.array(z.iso.date()), description: z.string().optional() }));
      try {
        const parsed = schema.safeParse(JSON.parse(v));
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: 'custom', message: `CALENDARS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `CALENDARS is not JSON (${(err as Error).message})` });
      }
      return z.NEVER;
    }),
  /** pino level; unset means `info` (tests pass Nest's levels instead, which quiets them). */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  /** Serve Prometheus metrics at /metrics (and on METRICS_PORT in a ROLE=worker process); false turns metrics off. */
  METRICS: bool.default(true),
  /** Where a ROLE=worker process, which serves no API, answers /metrics and /health; 0 turns it off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** How often worker processes look for instances past a state's SLA (`meta.sla`). */
  SLA_CHECK_INTERVAL_MS: z.coerce.number().int().positive().default(10_000),
  /** An activity still retrying after this long is listed by `GET /v1/workflows?retrying=true` and counted. */
  ACTIVITY_RETRY_ALERT_MS: z.coerce.number().int().positive().default(300_000),
  /** OTLP/HTTP collector; traces are exported only when this (or the traces-specific one) is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  OTEL_SERVICE_NAME: z.string().min(1).default('statera'),
  /** Per-key, per-tenant and failed-authentication limits, kept in Redis so every API process counts together. */
  RATE_LIMIT: bool.default(true),
  RATE_LIMITS: z.preprocess((v) => (v === '' || v === undefined ? '{}' : v), rateLimits),
  /** Fixed windows counted in Redis with a seconds TTL: whole seconds only. */
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).multipleOf(1000, 'whole seconds (a multiple of 1000)').default(1000),
  /** Refused API keys (malformed, unknown, revoked) one client address may present per RATE_LIMIT_AUTH_WINDOW_MS before it is answered 429. */
  RATE_LIMIT_AUTH_FAILURES: z.coerce.number().int().positive().default(20),
  RATE_LIMIT_AUTH_WINDOW_MS: z.coerce.number().int().min(1000).multipleOf(1000, 'whole seconds (a multiple of 1000)').default(60_000),
  /** A 429 is sent after at most this long (never past its window's reset): a client retrying at once is slowed to its concurrency per hold. 0: at once. */
  RATE_LIMIT_REFUSAL_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /**
   * Operator actions a second operator must approve, comma-separated: pause, resume,
   * terminate, move, migrate, retry, resolve, batch (every batch operation). Empty: none.
   */
  DUAL_CONTROL: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['pause', 'resume', 'terminate', 'move', 'migrate', 'retry', 'resolve', 'batch'], { message: 'one of pause, resume, terminate, move, migrate, retry, resolve, batch' }))),
  /** How long an operator action waits for its second operator before it expires. */
  OPERATOR_APPROVAL_TTL_HOURS: z.coerce.number().positive().default(24),
  /** How often every process looks for batch items to carry out, held inputs to apply and approvals to expire. */
  OPERATIONS_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  /**
   * Days an ended instance keeps its snapshot, input, output and invocation rows, for
   * definitions without their own `retention`; unset: kept. Its history always stays.
   */
  RETENTION_ENDED_DAYS: z.coerce.number().positive().optional(),
  /** How often a process tries the retention pass (one process of the deployment at a time does it). */
  RETENTION_INTERVAL_MS: z.coerce.number().int().positive().default(600_000),
  /** The key of the `admin` principal (every role), created or kept at start; empty means unset. Never logged. */
  STATERA_BOOTSTRAP_ADMIN_KEY: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(24, 'at least 24 characters').max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
  ),
});

export type AppConfig = z.infer<typeof schema> & { PARTNERS_URL: string; APP_DATABASE_URL: string };

/** Reads and validates the environment; a bad value stops the process with the variable named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return {
    ...parsed.data,
    PARTNERS_URL: parsed.data.PARTNERS_URL ?? `http://127.0.0.1:${parsed.data.SANDBOX_PORT}`,
    APP_DATABASE_URL: parsed.data.APP_DATABASE_URL ?? applicationUrl(parsed.data.DATABASE_URL),
  };
}

/** The application's own connection: the owner's URL as the role that may only insert and read history. */
export function applicationUrl(ownerUrl: string, role = 'statera_app'): string {
  const u = new URL(ownerUrl);
  u.username = role;
  u.password = '';
  return u.toString();
}
