import { z } from 'zod';
import { mulberry32, seedFromName } from './random';

const matchSchema = z.strictObject({
  method: z.enum(['GET', 'POST']).optional(),
  /** Exact path; `*` or `:name` match one segment, a trailing `**` matches the rest. */
  path: z.string().startsWith('/').optional(),
  /** Only requests whose Idempotency-Key (or, on reads, X-Correlation-Key) starts with this: one workflow's calls, when many run at once. */
  idempotencyKeyPrefix: z.string().min(1).optional(),
});

export const scriptEntrySchema = z.strictObject({
  match: matchSchema.optional(),
  outcome: z.enum(['ok', 'error', 'timeout']),
  /** error only: HTTP status to answer with (default 503). */
  status: z.int().min(400).max(599).optional(),
  /** timeout only: apply the effect (and store it for replays) before hanging. */
  applied: z.boolean().optional(),
  latencyMs: z.int().min(0).max(120_000).optional(),
  hangMs: z.int().min(0).max(600_000).optional(),
  /** ok/timeout: partner-specific response override; error: problem fields (type, title, detail). */
  body: z.record(z.string(), z.unknown()).optional(),
  /** Consume this entry for the next `times` matching requests. */
  times: z.int().min(1).max(10_000).optional(),
});

export const faultConfigSchema = z
  .strictObject({
    latencyMs: z.int().min(0).max(120_000).default(0),
    errorRate: z.number().min(0).max(1).default(0),
    errorStatus: z.int().min(500).max(599).default(503),
    timeoutRate: z.number().min(0).max(1).default(0),
    /** Share of random timeouts that happen after the effect was applied ("answer lost"). */
    timeoutAppliedRate: z.number().min(0).max(1).default(0),
    timeoutMode: z.enum(['destroy', '504']).default('destroy'),
    hangMs: z.int().min(0).max(600_000).default(10_000),
    seed: z.int().optional(),
    script: z.array(scriptEntrySchema).max(10_000).default([]),
  })
  .refine((c) => c.errorRate + c.timeoutRate <= 1, { message: 'errorRate + timeoutRate must not exceed 1', path: ['errorRate'] });

export type ScriptEntry = z.infer<typeof scriptEntrySchema>;
export type FaultConfigInput = z.input<typeof faultConfigSchema>;
export type FaultConfig = z.output<typeof faultConfigSchema>;

export type FaultDecision =
  | { outcome: 'ok'; latencyMs: number; override?: Record<string, unknown> }
  | { outcome: 'error'; latencyMs: number; status: number; problem?: Record<string, unknown> }
  | {
      outcome: 'timeout';
      latencyMs: number;
      applied: boolean;
      hangMs: number;
      mode: 'destroy' | '504';
      override?: Record<string, unknown>;
    };

interface QueuedEntry {
  entry: ScriptEntry;
  remaining: number;
}

export function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  for (let i = 0; i < want.length; i++) {
    const seg = want[i];
    if (seg === '**') return true;
    if (i >= got.length) return false;
    if (seg !== '*' && !seg.startsWith(':') && seg !== got[i]) return false;
  }
  return want.length === got.length;
}

/** Per-partner fault state: a random profile plus a queue of scripted outcomes. */
export class FaultController {
  private config: FaultConfig;
  private queue: QueuedEntry[] = [];
  private rng: () => number;

  constructor(private readonly partner: string) {
    this.config = faultConfigSchema.parse({});
    this.rng = mulberry32(seedFromName(partner));
  }

  configure(config: FaultConfig): void {
    this.config = config;
    this.queue = [];
    this.append(config.script);
    this.rng = mulberry32(config.seed ?? seedFromName(this.partner));
  }

  append(entries: readonly ScriptEntry[]): void {
    for (const entry of entries) this.queue.push({ entry, remaining: entry.times ?? 1 });
  }

  reset(): void {
    this.configure(faultConfigSchema.parse({}));
  }

  snapshot(): { config: FaultConfig; script: ScriptEntry[] } {
    const script = this.queue.map(({ entry, remaining }) => ({ ...entry, times: remaining }));
    return { config: { ...this.config, script }, script };
  }

  /**
   * The first queued entry that matches wins (entries for other routes wait their turn);
   * only when no entry matches is the seeded random profile rolled.
   */
  decide(method: string, path: string, idempotencyKey?: string): FaultDecision {
    const index = this.queue.findIndex(({ entry }) => this.matches(entry, method, path, idempotencyKey));
    if (index >= 0) {
      const queued = this.queue[index];
      if (--queued.remaining <= 0) this.queue.splice(index, 1);
      return this.fromEntry(queued.entry);
    }
    return this.roll();
  }

  private matches(entry: ScriptEntry, method: string, path: string, idempotencyKey?: string): boolean {
    const match = entry.match;
    if (!match) return true;
    if (match.method && match.method !== method) return false;
    if (match.idempotencyKeyPrefix && !idempotencyKey?.startsWith(match.idempotencyKeyPrefix)) return false;
    return !match.path || pathMatches(match.path, path);
  }

  private fromEntry(entry: ScriptEntry): FaultDecision {
    const latencyMs = entry.latencyMs ?? this.config.latencyMs;
    switch (entry.outcome) {
      case 'ok':
        return { outcome: 'ok', latencyMs, override: entry.body };
      case 'error':
        return { outcome: 'error', latencyMs, status: entry.status ?? 503, problem: entry.body };
      case 'timeout':
        return {
          outcome: 'timeout',
          latencyMs,
          applied: entry.applied ?? false,
          hangMs: entry.hangMs ?? this.config.hangMs,
          mode: this.config.timeoutMode,
          override: entry.body,
        };
    }
  }

  private roll(): FaultDecision {
    const { latencyMs, errorRate, timeoutRate, errorStatus, hangMs, timeoutMode } = this.config;
    if (errorRate === 0 && timeoutRate === 0) return { outcome: 'ok', latencyMs };
    const r = this.rng();
    if (r < timeoutRate) {
      const applied = this.rng() < this.config.timeoutAppliedRate;
      return { outcome: 'timeout', latencyMs, applied, hangMs, mode: timeoutMode };
    }
    if (r < timeoutRate + errorRate) return { outcome: 'error', latencyMs, status: errorStatus };
    return { outcome: 'ok', latencyMs };
  }
}
