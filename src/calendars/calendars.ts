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
