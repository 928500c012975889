import { createHash } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { isBusinessDay, type BusinessCalendar } from '../engine/definition/calendars';

/**
 * When a schedule fires: a cron expression in a time zone (wall-clock times, DST included),
 * optionally on the business days of a calendar only, or a fixed interval.
 */
export type ScheduleSpec = { cron: string; calendar?: string } | { everyMs: number };

export const OVERLAP_POLICIES = ['skip', 'buffer-one', 'allow', 'cancel-other'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** A time zone the platform's Intl knows (IANA: `Europe/Berlin`, `America/New_York`, `UTC`). */
export const timeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not a time zone this platform knows (IANA names, e.g. Europe/Berlin)');

export const specSchema = z.union([
  z.strictObject({
    cron: z.string().min(1).max(200).refine((c) => {
      try {
        CronExpressionParser.parse(c);
        return true;
      } catch {
        return false;
      }
    }, 'not a cron expression (minute hour day-of-month month day-of-week, e.g. "0 14 * * 1-5")'),
    calendar: z.string().min(1).max(100).optional(),
  }),
  z.strictObject({ everyMs: z.number().int().min(1000).max(366 * 24 * 3_600_000) }),
]);

/**
 * The nominal fire times of a spec strictly after `after`, up to `until` (at most `limit`). A
 * cron runs in `timezone`'s wall clock: `0 9 * * *` in Europe/Berlin is 08:00 UTC in winter and
 * 07:00 UTC in summer; a time that does not exist on the day the clocks go forward is taken at
 * the first instant after the gap. An interval counts from `anchor` (the schedule's creation).
 */
export function firesBetween(spec: ScheduleSpec, timezone: string, anchor: Date, after: Date, until: Date, limit = 1000, calendar?: BusinessCalendar): Date[] {
  const out: Date[] = [];
  if ('everyMs' in spec) {
    const first = Math.floor((after.getTime() - anchor.getTime()) / spec.everyMs) + 1;
    for (let n = Math.max(first, 1); out.length < limit; n++) {
      const t = anchor.getTime() + n * spec.everyMs;
      if (t > until.getTime()) break;
      out.push(new Date(t));
    }
    return out;
  }
  const it = CronExpressionParser.parse(spec.cron, { currentDate: after, tz: timezone });
  while (out.length < limit) {
    const next = it.next().toDate();
    if (next.getTime() > until.getTime()) break;
    // With a calendar, only its business days (a holiday's fire is not made at all).
    if (next.getTime() > after.getTime() && (!calendar || isBusinessDay(calendar, next))) out.push(next);
  }
  return out;
}

/** The next `count` nominal fire times after `after`. */
export function nextFires(spec: ScheduleSpec, timezone: string, anchor: Date, after: Date, count: number, calendar?: BusinessCalendar): Date[] {
  return firesBetween(spec, timezone, anchor, after, new Date(after.getTime() + 5 * 366 * 24 * 3_600_000), count, calendar);
}

/** A delay in [0, jitterMs) that is the same every time for one schedule and nominal time: a second process computes the same start. */
export function jitterOf(scheduleKey: string, nominal: Date, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  const h = createHash('sha256').update(`${scheduleKey}@${nominal.toISOString()}`).digest();
  return h.readUInt32BE(0) % jitterMs;
}

/** The workflow id of one fire: the schedule's id and its nominal time (`eod-20260329T070000Z`), so a fire made twice is one workflow. */
export function fireWorkflowId(scheduleId: string, nominal: Date): string {
  return `${scheduleId}-${nominal.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}`;
}
