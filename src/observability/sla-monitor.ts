import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { SlaRule } from '../engine/definition/sla';
import { query } from '../engine/store/sql';
import { overdueStatesSql, slaRulesParam } from '../persistence/workflow-queries';

export interface SlaBreach {
  workflowId: string;
  type: string;
  state: string;
  enteredAt: string;
  maxDurationMs: number;
  overdueByMs: number;
}

export interface SlaMonitorOptions {
  dataSource: DataSource;
  rules: readonly SlaRule[];
  intervalMs: number;
  logger: Logger;
  /** Told of each breach once, by whichever process recorded it. */
  onBreach?: (breach: SlaBreach) => void;
}

/**
 * Looks for instances that stayed in a state past its SLA, in worker processes, every
 * SLA_CHECK_INTERVAL_MS. Each stay is recorded once in `sla_breach` (INSERT … ON CONFLICT
 * DO NOTHING RETURNING): with several workers checking at once, only the insert that wins
 * logs the warning and counts it. What is overdue right now is computed at read time (the
 * overdue listing and gauge); this table is the memory of what was already announced.
 */
export class SlaMonitor {
  private readonly rules: string;
  /** The types that declare an SLA: the check reads their instances only. */
  private readonly types: string[];
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(private readonly options: SlaMonitorOptions) {
    this.rules = slaRulesParam(options.rules);
    this.types = [...new Set(options.rules.map((r) => r.type))];
  }

  start(): void {
    if (this.options.rules.length === 0 || this.stopped) return;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One check now; returns the breaches this call recorded (tests call it instead of waiting). */
  async checkNow(): Promise<SlaBreach[]> {
    if (this.options.rules.length === 0) return [];
    const rows = await query<{ workflow_id: string; workflow_type: string; state: string; entered_at: Date; max_duration_ms: string; detected_at: Date }>(
      this.options.dataSource,
      `INSERT INTO sla_breach (workflow_id, workflow_type, state, entered_at, max_duration_ms)
       SELECT w.id, w.type, o.state, o.entered_at, o.max_ms
         FROM workflow_instance w CROSS JOIN LATERAL (${overdueStatesSql('$1')}) o
        WHERE w.type = ANY($2::text[]) AND w.status IN ('running', 'waiting', 'paused')
       ON CONFLICT DO NOTHING
       RETURNING workflow_id, workflow_type, state, entered_at, max_duration_ms, detected_at`,
      [this.rules, this.types],
    );
    const breaches = rows.map((r) => {
      const enteredAt = new Date(r.entered_at);
      const maxDurationMs = Number(r.max_duration_ms);
      return {
        workflowId: r.workflow_id,
        type: r.workflow_type,
        state: r.state,
        enteredAt: enteredAt.toISOString(),
        maxDurationMs,
        overdueByMs: Math.max(0, new Date(r.detected_at).getTime() - enteredAt.getTime() - maxDurationMs),
      };
    });
    for (const b of breaches) {
      this.options.logger.warn(
        { workflowId: b.workflowId, type: b.type, state: b.state, enteredAt: b.enteredAt, maxDurationMs: b.maxDurationMs, overdueBy: b.overdueByMs },
        'workflow past its state SLA',
      );
      this.options.onBreach?.(b);
    }
    return breaches;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.checkNow()
        .catch((err: Error) => this.options.logger.warn({ error: err.message }, 'SLA check failed; trying again at the next interval'))
        .finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
