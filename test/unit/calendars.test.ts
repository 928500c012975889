import { Calendars, DE, easterSunday, isBusinessDay, TARGET2 } from '../../src/engine/definition/calendars';
import { loadConfig } from '../../src/config/config';
import { firesBetween } from '../../src/schedules/schedule-spec';

test('Easter and the holidays that follow it', () => {
  expect(easterSunday(2026)).toEqual({ month: 4, day: 5 });
  expect(easterSunday(2027)).toEqual({ month: 3, day: 28 });
  expect(TARGET2.holidays(2026)).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-12-25', '2026-12-26']);
  // Ascension and Whit Monday are German holidays, not TARGET2 closing days.
  expect(DE.holidays(2026)).toEqual(expect.arrayContaining(['2026-05-14', '2026-05-25', '2026-10-03']));
  expect(isBusinessDay(DE, new Date('2026-05-14T10:00:00Z'))).toBe(false);
  expect(isBusinessDay(TARGET2, new Date('2026-05-14T10:00:00Z'))).toBe(true);
  // A day is the calendar's own: 23:30 UTC on a Friday is already Saturday in Berlin.
  expect(isBusinessDay(TARGET2, new Date('2026-12-04T23:30:00Z'))).toBe(false);
});

test('a business-day schedule skips the Easter holidays and the weekend', () => {
  const fires = firesBetween({ cron: '0 14 * * *', calendar: 'TARGET2' }, 'Europe/Berlin', new Date(0), new Date('2026-04-01T00:00:00Z'), new Date('2026-04-08T00:00:00Z'), 100, TARGET2);
  // Wed 1 and Thu 2 April; Good Friday, the weekend and Easter Monday make no fire; Tue 7 April.
  expect(fires.map((d) => d.toISOString())).toEqual(['2026-04-01T12:00:00.000Z', '2026-04-02T12:00:00.000Z', '2026-04-07T12:00:00.000Z']);
});

test('CALENDARS adds calendars and names the field at fault', () => {
  const config = loadConfig({ CALENDARS: JSON.stringify({ 'US-FED': { timezone: 'America/New_York', holidays: ['2026-11-26'] } }) });
  const calendars = new Calendars(config.CALENDARS);
  expect(calendars.ids()).toEqual(['DE', 'TARGET2', 'US-FED']);
  expect(isBusinessDay(calendars.get('US-FED')!, new Date('2026-11-26T15:00:00Z'))).toBe(false);
  expect(() => loadConfig({ CALENDARS: '{"X": {"timezone": "UTC", "holidays": ["26 Nov"]}}' })).toThrow(/CALENDARS: X\.holidays\.0/);
  expect(() => loadConfig({ CALENDARS: 'nope' })).toThrow(/CALENDARS is not JSON/);
});
