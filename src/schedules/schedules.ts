import type { DataSource } from 'typeorm';
import type { TenantScope } from '../auth/tenant-scope';
import type { WorkflowEngine } from '../engine/loop/workflow-engine';
import { DomainError } from '../engine/errors/domain.error';
import { query } from '../engine/store/sql';
import { storedId } from '../engine/store/tenancy';
import { Calendars, type BusinessCalendar } from '../engine/definition/calendars';
import { fireWorkflowId, firesBetween, jitterOf, nextFires, type OverlapPolicy, type ScheduleSpec } from './schedule-spec';

export interface ScheduleInput {
  id: string;
  type: string;
  version?: number;
  input: unknown;
  spec: ScheduleSpec;
  timezone: string;
  overlap: OverlapPolicy;
  catchupWindowMs: number;
  jitterMs: number;
  paused: boolean;
  note?: string;
}

interface Row {
  tenant: string;
  id: string;
  type: string;
  version: number | null;
  input: unknown;
  spec: ScheduleSpec;
  timezone: string;
  overlap: OverlapPolicy;
  catchup_window_ms: string;
  jitter_ms: number;
  paused: boolean;
  note: string | null;
  anchor_at: Date;
  last_nominal_at: Date | null;
  next_fire_at: Date | null;
  buffered_nominal_at: Date | null;
  created_by: string;
  created_at: Date;
}

export interface ScheduleRunView {
  nominalAt: string;
  outcome: 'started' | 'skipped' | 'buffered';
  workflowId: string | null;
  reason: string | null;
  at: string;
}

export interface ScheduleView extends Omit<ScheduleInput, 'version' | 'note'> {
  version: number | null;
  note: string | null;
  createdBy: string;
  createdAt: string;
  /** The next nominal fire times (before jitter). */
  nextFires: string[];
  bufferedFire: string | null;
  recentRuns: ScheduleRunView[];
}

/** A claimed schedule is someone's for this long; a process that dies with it leaves it to the next. */
const LEASE_MS = 30_000;
/** Fires worked out per schedule per pass: an outage of years is not replayed in one go. */
const MAX_FIRES_PER_PASS = 500;
const LIVE = new Set(['running', 'waiting', 'paused']);

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * Recurring starts, durable in PostgreSQL. Every process passes over the due schedules (leased
 * with SKIP LOCKED, so a fire is made by one process at a time); each nominal fire time becomes
 * a start whose workflow id is the schedule id and that time, so a fire repeated after a crash
 * finds its workflow instead of making a second. A fire older than the catch-up window when it
 * is worked out (after an outage) is recorded as skipped; the overlap policy decides what
 * happens while the previous run is still live.
 */
export class Schedules {
  constructor(
    private readonly db: DataSource,
    private readonly engine: WorkflowEngine,
    private readonly log: (message: string, fields: Record<string, unknown>) => void = () => undefined,
    private readonly calendars: Calendars = new Calendars(),
  ) {}

  /** When a fire is made: its nominal time plus its jitter (the same in every process). */
  private static dueAt(tenant: string, id: string, nominal: Date, jitterMs: number): Date {
    return new Date(nominal.getTime() + jitterOf(`${tenant}/${id}`, nominal, jitterMs));
  }

  /** The calendar a cron spec names (validated when the schedule was made). */
  private calendarOf(spec: ScheduleSpec): BusinessCalendar | undefined {
    return 'cron' in spec && spec.calendar ? this.calendars.get(spec.calendar) : undefined;
  }

  async create(scope: TenantScope, input: ScheduleInput, actor: string): Promise<ScheduleView> {
    if ('cron' in input.spec && input.spec.calendar && !this.calendars.get(input.spec.calendar)) {
      throw new DomainError('validation_failed', 'the request does not match its schema', {
        errors: [{ field: 'spec.calendar', message: `no calendar ${input.spec.calendar}; the calendars: ${this.calendars.ids().join(', ')} (more with CALENDARS)` }],
      });
    }
    const definition = this.engine.registry.get(input.type, input.version);
    const parsed = definition.input.safeParse(input.input);
    if (!parsed.success) {
      throw new DomainError('validation_failed', 'the request does not match its schema', {
        errors: parsed.error.issues.map((i) => ({ field: ['input', ...i.path.map(String)].join('.'), message: i.message })),
      });
    }
    const anchor = new Date();
    const [first] = nextFires(input.spec, input.timezone, anchor, anchor, 1, this.calendarOf(input.spec));
    const rows = await query<Row>(
      this.db,
      `INSERT INTO schedule (tenant, id, type, version, input, spec, timezone, overlap, catchup_window_ms, jitter_ms, paused, note, anchor_at, last_nominal_at, next_fire_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15) ON CONFLICT (tenant, id) DO NOTHING RETURNING *`,
      [scope.tenant, input.id, input.type, input.version ?? null, JSON.stringify(input.input), input.spec, input.timezone, input.overlap, input.catchupWindowMs, input.jitterMs, input.paused, input.note ?? null, anchor, first ? Schedules.dueAt(scope.tenant, input.id, first, input.jitterMs) : null, actor],
    );
    if (!rows.length) throw new DomainError('schedule_exists', `a schedule ${input.id} exists already`, { scheduleId: input.id });
    return this.view(rows[0]);
  }

  async list(scope: TenantScope): Promise<{ items: ScheduleView[] }> {
    const rows = await query<Row>(this.db, 'SELECT * FROM schedule WHERE tenant = $1 ORDER BY id', [scope.tenant]);
    return { items: await Promise.all(rows.map((r) => this.view(r, 5))) };
  }

  async get(scope: TenantScope, id: string): Promise<ScheduleView> {
    return this.view(await this.load(scope, id));
  }

  async remove(scope: TenantScope, id: string): Promise<void> {
    const rows = await query(this.db, 'DELETE FROM schedule WHERE tenant = $1 AND id = $2 RETURNING id', [scope.tenant, id]);
    if (!rows.length) throw notFound(id);
  }

  async setPaused(scope: TenantScope, id: string, paused: boolean, reason: string, actor: string): Promise<ScheduleView> {
    const row = await this.load(scope, id);
    if (paused) {
      const [updated] = await query<Row>(this.db, `UPDATE schedule SET paused = true, note = $3 WHERE tenant = $1 AND id = $2 RETURNING *`, [scope.tenant, id, `paused by ${actor}: ${reason}`]);
      return this.view(updated!);
    }
    // Resumed, it goes on from now: the fires it slept through are not replayed (backfill them if they are wanted).
    const now = new Date();
    const [next] = nextFires(row.spec, row.timezone, new Date(row.anchor_at), now, 1, this.calendarOf(row.spec));
    const [updated] = await query<Row>(
      this.db,
      `UPDATE schedule SET paused = false, note = $3, last_nominal_at = $4, next_fire_at = $5 WHERE tenant = $1 AND id = $2 RETURNING *`,
      [scope.tenant, id, `resumed by ${actor}: ${reason}`, now, next ? Schedules.dueAt(scope.tenant, id, next, row.jitter_ms) : null],
    );
    return this.view(updated!);
  }

  /** Fires now, as if now were a nominal time (whatever the spec, the pause or the overlap policy says). */
  async trigger(scope: TenantScope, id: string): Promise<ScheduleRunView> {
    const row = await this.load(scope, id);
    const nominal = new Date(Math.floor(Date.now() / 1000) * 1000);
    return this.start(row, nominal, 'triggered');
  }

  /** Starts every nominal fire of [from, to] that has not run (at most 1,000): catch-up beyond the window, on purpose. */
  async backfill(scope: TenantScope, id: string, from: Date, to: Date): Promise<{ started: number; runs: ScheduleRunView[] }> {
    if (to.getTime() < from.getTime()) throw new DomainError('validation_failed', 'the request does not match its schema', { errors: [{ field: 'to', message: 'must not be before from' }] });
    if (to.getTime() > Date.now()) throw new DomainError('validation_failed', 'the request does not match its schema', { errors: [{ field: 'to', message: 'a backfill covers the past: to must not be in the future' }] });
    const row = await this.load(scope, id);
    const fires = firesBetween(row.spec, row.timezone, row.anchor_at, new Date(from.getTime() - 1), to, 1000, this.calendarOf(row.spec));
    const runs: ScheduleRunView[] = [];
    for (const t of fires) runs.push(await this.start(row, t, 'backfill'));
    return { started: runs.filter((r) => r.outcome === 'started').length, runs };
  }

  /** One pass over the due schedules of every tenant; answers how many fires were worked out. */
  async fireDue(now = new Date()): Promise<number> {
    const claimed = await query<Row>(
      this.db,
      `UPDATE schedule s SET next_fire_at = $2 FROM (
         SELECT tenant, id FROM schedule WHERE NOT paused AND (next_fire_at <= $1 OR buffered_nominal_at IS NOT NULL)
          ORDER BY next_fire_at NULLS LAST LIMIT 20 FOR UPDATE SKIP LOCKED) due
        WHERE s.tenant = due.tenant AND s.id = due.id
        RETURNING s.*`,
      [now, new Date(now.getTime() + LEASE_MS)],
    );
    let worked = 0;
    for (const row of claimed) {
      try {
        worked += await this.work(row, now);
      } catch (err) {
        this.log('schedule pass failed', { schedule: row.id, tenant: row.tenant, error: (err as Error).message });
      }
    }
    return worked;
  }

  private async work(row: Row, now: Date): Promise<number> {
    let worked = 0;
    // A fire kept while the previous run was live (buffer-one) goes as soon as that run ends.
    if (row.buffered_nominal_at && !(await this.previousLive(row, new Date(row.buffered_nominal_at)))) {
      await this.start(row, new Date(row.buffered_nominal_at), 'buffered');
      await query(this.db, 'UPDATE schedule SET buffered_nominal_at = NULL WHERE tenant = $1 AND id = $2', [row.tenant, row.id]);
      row.buffered_nominal_at = null;
      worked++;
    }
    const after = new Date(row.last_nominal_at ?? row.anchor_at);
    const due = firesBetween(row.spec, row.timezone, row.anchor_at, after, now, MAX_FIRES_PER_PASS, this.calendarOf(row.spec)).filter((t) => Schedules.dueAt(row.tenant, row.id, t, row.jitter_ms).getTime() <= now.getTime());
    const window = Number(row.catchup_window_ms);
    for (const t of due) {
      if (now.getTime() - t.getTime() > window) {
        await this.record(row, t, 'skipped', null, `missed: ${Math.round((now.getTime() - t.getTime()) / 1000)} s late, beyond the catch-up window of ${Math.round(window / 1000)} s`);
      } else {
        await this.fire(row, t);
      }
      worked++;
    }
    const last = due.length ? due[due.length - 1] : after;
    const [next] = nextFires(row.spec, row.timezone, row.anchor_at, last, 1, this.calendarOf(row.spec));
    await query(this.db, 'UPDATE schedule SET last_nominal_at = $3, next_fire_at = $4 WHERE tenant = $1 AND id = $2', [
      row.tenant,
      row.id,
      last,
      next ? Schedules.dueAt(row.tenant, row.id, next, row.jitter_ms) : null,
    ]);
    return worked;
  }

  /** One fire, as the overlap policy says while the previous run is live. */
  private async fire(row: Row, nominal: Date): Promise<ScheduleRunView> {
    const previous = await this.previousLive(row, nominal);
    if (previous && row.overlap === 'skip') return this.record(row, nominal, 'skipped', null, `the previous run ${previous.id} is still ${previous.status} (overlap: skip)`);
    if (previous && row.overlap === 'buffer-one') {
      if (row.buffered_nominal_at) return this.record(row, nominal, 'skipped', null, `a fire is already buffered behind ${previous.id} (overlap: buffer-one)`);
      await query(this.db, 'UPDATE schedule SET buffered_nominal_at = $3 WHERE tenant = $1 AND id = $2', [row.tenant, row.id, nominal]);
      row.buffered_nominal_at = nominal;
      return this.record(row, nominal, 'buffered', null, `waits for ${previous.id} to end (overlap: buffer-one)`);
    }
    if (previous && row.overlap === 'cancel-other') {
      await this.engine.cancel(storedId(row.tenant, previous.id), { actor: `schedule:${row.id}` }, `overlap: cancel-other, for the fire of ${nominal.toISOString()}`).catch((err: Error) => this.log('cancelling the previous run failed', { schedule: row.id, error: err.message }));
    }
    return this.start(row, nominal, 'scheduled');
  }

  private async start(row: Row, nominal: Date, how: string): Promise<ScheduleRunView> {
    const workflowId = fireWorkflowId(row.id, nominal);
    try {
      await this.engine.start({ type: row.type, version: row.version ?? undefined, workflowId, input: row.input, tenant: row.tenant }, { actor: `schedule:${row.id}` });
      return this.record(row, nominal, 'started', workflowId, how === 'scheduled' ? null : how);
    } catch (err) {
      return this.record(row, nominal, 'skipped', null, `the start was refused: ${(err as Error).message}`);
    }
  }

  /** The latest run started before `nominal`, when it is still live. */
  private async previousLive(row: Row, nominal: Date): Promise<{ id: string; status: string } | undefined> {
    const [prev] = await query<{ workflow_id: string; status: string | null }>(
      this.db,
      `SELECT r.workflow_id, w.status FROM schedule_run r LEFT JOIN workflow_instance w ON w.id = CASE WHEN r.tenant = 'default' THEN r.workflow_id ELSE r.tenant || '/' || r.workflow_id END
        WHERE r.tenant = $1 AND r.schedule_id = $2 AND r.outcome = 'started' AND r.nominal_at < $3 ORDER BY r.nominal_at DESC LIMIT 1`,
      [row.tenant, row.id, nominal],
    );
    return prev && prev.status && LIVE.has(prev.status) ? { id: prev.workflow_id, status: prev.status } : undefined;
  }

  private async record(row: Row, nominal: Date, outcome: ScheduleRunView['outcome'], workflowId: string | null, reason: string | null): Promise<ScheduleRunView> {
    const [r] = await query<{ at: Date }>(
      this.db,
      `INSERT INTO schedule_run (tenant, schedule_id, nominal_at, outcome, workflow_id, reason) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant, schedule_id, nominal_at, outcome) DO UPDATE SET at = schedule_run.at RETURNING at`,
      [row.tenant, row.id, nominal, outcome, workflowId, reason],
    );
    return { nominalAt: nominal.toISOString(), outcome, workflowId, reason, at: new Date(r!.at).toISOString() };
  }

  private async load(scope: TenantScope, id: string): Promise<Row> {
    const [row] = await query<Row>(this.db, 'SELECT * FROM schedule WHERE tenant = $1 AND id = $2', [scope.tenant, id]);
    if (!row) throw notFound(id);
    return row;
  }

  private async view(row: Row, runs = 20): Promise<ScheduleView> {
    const recent = await query<{ nominal_at: Date; outcome: ScheduleRunView['outcome']; workflow_id: string | null; reason: string | null; at: Date }>(
      this.db,
      'SELECT nominal_at, outcome, workflow_id, reason, at FROM schedule_run WHERE tenant = $1 AND schedule_id = $2 ORDER BY nominal_at DESC, at DESC LIMIT $3',
      [row.tenant, row.id, runs],
    );
    const from = new Date(Math.max(Date.now(), new Date(row.last_nominal_at ?? row.anchor_at).getTime()));
    return {
      id: row.id,
      type: row.type,
      version: row.version,
      input: row.input,
      spec: row.spec,
      timezone: row.timezone,
      overlap: row.overlap,
      catchupWindowMs: Number(row.catchup_window_ms),
      jitterMs: row.jitter_ms,
      paused: row.paused,
      note: row.note,
      createdBy: row.created_by,
      createdAt: new Date(row.created_at).toISOString(),
      nextFires: row.paused ? [] : nextFires(row.spec, row.timezone, new Date(row.anchor_at), from, 5, this.calendarOf(row.spec)).map((d) => d.toISOString()),
      bufferedFire: iso(row.buffered_nominal_at),
      recentRuns: recent.map((r) => ({ nominalAt: new Date(r.nominal_at).toISOString(), outcome: r.outcome, workflowId: r.workflow_id, reason: r.reason, at: new Date(r.at).toISOString() })),
    };
  }
}

function notFound(id: string): DomainError {
  return new DomainError('not_found', `no schedule ${id}`, { scheduleId: id });
}
