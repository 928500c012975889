import { DomainError } from '../errors/domain.error';

/**
 * Business calendars: which days a payment rail or a country does business. A calendar has
 * weekend days (0 Sunday … 6 Saturday), holidays by year and a time zone that says which date
 * an instant falls on. TARGET2 (the euro's settlement system) and Germany's nationwide public
 * holidays ship; others come from the CALENDARS setting.
 */
export interface BusinessCalendar {
  id: string;
  description: string;
  timezone: string;
  weekendDays: readonly number[];
  /** The year's holidays as `YYYY-MM-DD`. */
  holidays(year: number): readonly string[];
}

/** Easter Sunday of a year in the Gregorian calendar (the anonymous algorithm). */
export function easterSunday(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  return { month, day: ((h + l - 7 * m + 114) % 31) + 1 };
}

const pad = (n: number) => String(n).padStart(2, '0');
function fromEaster(year: number, days: number): string {
  const { month, day } = easterSunday(year);
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export const TARGET2: BusinessCalendar = {
  id: 'TARGET2',
  description: 'TARGET2 (T2) closing days: weekends, New Year, Good Friday, Easter Monday, 1 May, 25 and 26 December',
  // Frankfurt keeps Central European Time: the IANA zone is Europe/Berlin.
  timezone: 'Europe/Berlin',
  weekendDays: [0, 6],
  holidays: (y) => [`${y}-01-01`, fromEaster(y, -2), fromEaster(y, 1), `${y}-05-01`, `${y}-12-25`, `${y}-12-26`],
};

export const DE: BusinessCalendar = {
  id: 'DE',
  description: "Germany's nationwide public holidays and weekends (regional holidays are not included)",
  timezone: 'Europe/Berlin',
  weekendDays: [0, 6],
  holidays: (y) => [`${y}-01-01`, fromEaster(y, -2), fromEaster(y, 1), `${y}-05-01`, fromEaster(y, 39), fromEaster(y, 50), `${y}-10-03`, `${y}-12-25`, `${y}-12-26`],
};

/** A calendar from configuration: `{timezone, weekendDays?, holidays: ["YYYY-MM-DD", …]}`. */
export function configuredCalendar(id: string, spec: { timezone: string; weekendDays?: number[]; holidays: string[]; description?: string }): BusinessCalendar {
  const set = [...spec.holidays];
  return { id, description: spec.description ?? `${id} (configured)`, timezone: spec.timezone, weekendDays: spec.weekendDays ?? [0, 6], holidays: (y) => set.filter((d) => d.startsWith(`${y}-`)) };
}

/** The local date (`YYYY-MM-DD`) and weekday of an instant in a time zone. */
export function localDay(at: Date, timezone: string): { date: string; weekday: number } {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }).formatToParts(at).map((p) => [p.type, p.value]));
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday);
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday };
}

/** Whether the calendar does business on the day `at` falls on (in the calendar's time zone). */
export function isBusinessDay(calendar: BusinessCalendar, at: Date): boolean {
  const { date, weekday } = localDay(at, calendar.timezone);
  if (calendar.weekendDays.includes(weekday)) return false;
  return !calendar.holidays(Number(date.slice(0, 4))).includes(date);
}

/** The calendars a deployment knows: the shipped ones and those of CALENDARS. */
export class Calendars {
  private readonly byId = new Map<string, BusinessCalendar>();

  constructor(configured: Record<string, { timezone: string; weekendDays?: number[]; holidays: string[]; description?: string }> = {}) {
    for (const c of [TARGET2, DE]) this.byId.set(c.id, c);
    for (const [id, spec] of Object.entries(configured)) this.byId.set(id, configuredCalendar(id, spec));
  }

  get(id: string): BusinessCalendar | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }
}

/** The offset of `timezone` from UTC at an instant, in milliseconds (positive east of Greenwich). */
function offsetMs(at: Date, timezone: string): number {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant of a wall-clock time on a date in a time zone (a time in a DST gap is taken after it). */
export function zonedInstant(date: string, time: string, timezone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let at = wall - offsetMs(new Date(wall), timezone);
  at = wall - offsetMs(new Date(at), timezone);
  return new Date(at);
}

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

function isBusinessDate(calendar: BusinessCalendar, date: string): boolean {
  const [y, m, d] = date.split('-').map(Number);
  return !calendar.weekendDays.includes(new Date(Date.UTC(y, m - 1, d)).getUTCDay()) && !calendar.holidays(y).includes(date);
}

/**
 * The instant `days` business days after `from` in a calendar, at `at` (HH:MM, the calendar's
 * wall clock) or at `from`'s own time of day. Zero days with `at`: the next business-day
 * `at` from now (today's, if today is one and it is still ahead). Weekends and holidays are
 * not counted: one business day after Thursday 2 April 2026 in TARGET2 is Tuesday 7 April.
 */
export function businessInstant(calendar: BusinessCalendar, from: Date, days: number, at?: string): Date {
  const { date } = localDay(from, calendar.timezone);
  const time = at ?? new Intl.DateTimeFormat('en-GB', { timeZone: calendar.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(from);
  let day = date;
  if (days === 0) {
    while (!isBusinessDate(calendar, day) || zonedInstant(day, time, calendar.timezone).getTime() <= from.getTime()) day = addDays(day, 1);
    return zonedInstant(day, time, calendar.timezone);
  }
  for (let counted = 0; counted < days; ) {
    day = addDays(day, 1);
    if (isBusinessDate(calendar, day)) counted++;
  }
  return zonedInstant(day, time, calendar.timezone);
}

/** A delay in business days: what `businessDays()` gives a machine's `delays`, resolved by the engine when the timer is set. */
export interface BusinessDelay {
  kind: 'business-days';
  calendar: string;
  days: number;
  at?: string;
}

export function isBusinessDelay(value: unknown): value is BusinessDelay {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'business-days';
}

/**
 * A machine's delay in business days of a calendar, for `setup({ delays })`:
 * `settlementCutoff: businessDays({ calendar: 'TARGET2', days: 1, at: '14:00' })`. The machine
 * stays pure: the delay carries its description, and the engine turns it into a due time with its
 * clock and the calendar when it sets the timer; the diagram writes it out. For XState (and a
 * pure simulation) its value is a placeholder, its days as 24-hour days.
 */
export function businessDays(spec: { calendar: string; days: number; at?: string }): (() => number) & { business: BusinessDelay } {
  if (!Number.isInteger(spec.days) || spec.days < 0) throw new Error(`businessDays: days must be a whole number of days, got ${spec.days}`);
  if (spec.at !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(spec.at)) throw new Error(`businessDays: at must be HH:MM, got ${spec.at}`);
  const business: BusinessDelay = { kind: 'business-days', ...spec };
  // XState defers an event only for a number of milliseconds; the engine reads `business` by the delay's name.
  const placeholder = Math.max(1, spec.days) * 24 * 3_600_000;
  const delay = (() => placeholder) as (() => number) & { business: BusinessDelay };
  delay.business = business;
  return delay;
}

/** `1 TARGET2 business day at 14:00`. */
export function describeBusinessDelay(d: BusinessDelay): string {
  return `${d.days} ${d.calendar} business day${d.days === 1 ? '' : 's'}${d.at ? ` at ${d.at}` : ''}`;
}

/** A timer in business days of a calendar the deployment does not know would fail when set: such a definition is refused at start. */
export function assertCalendarsKnown(definitions: readonly { type: string; version: number; machine: { implementations: unknown } }[], calendars: Calendars): void {
  for (const d of definitions) {
    for (const [name, delay] of Object.entries((d.machine.implementations as { delays?: Record<string, unknown> }).delays ?? {})) {
      const business = (delay as { business?: BusinessDelay } | undefined)?.business;
      if (business && !calendars.get(business.calendar)) {
        throw new DomainError('definition_invalid', `${d.type}@${d.version}: delay ${name} counts business days of ${business.calendar}, which is no calendar here (the calendars: ${calendars.ids().join(', ')}; more with CALENDARS)`);
      }
    }
  }
}
