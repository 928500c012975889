import { fireWorkflowId, firesBetween, jitterOf, nextFires } from '../../src/schedules/schedule-spec';

test('a cron schedule keeps its wall-clock time across a DST change in its time zone', () => {
  // Europe/Berlin goes to summer time on 2026-03-29 and back on 2026-10-25.
  const spring = firesBetween({ cron: '0 9 * * *' }, 'Europe/Berlin', new Date(0), new Date('2026-03-27T00:00:00Z'), new Date('2026-03-31T00:00:00Z'));
  expect(spring.map((d) => d.toISOString())).toEqual(['2026-03-27T08:00:00.000Z', '2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z']);
  const autumn = firesBetween({ cron: '0 9 * * *' }, 'Europe/Berlin', new Date(0), new Date('2026-10-24T00:00:00Z'), new Date('2026-10-27T00:00:00Z'));
  expect(autumn.map((d) => d.toISOString())).toEqual(['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z', '2026-10-26T08:00:00.000Z']);
  // Business days at 14:00 New York: a weekend has none.
  const weekdays = firesBetween({ cron: '0 14 * * 1-5' }, 'America/New_York', new Date(0), new Date('2026-12-04T00:00:00Z'), new Date('2026-12-08T00:00:00Z'));
  expect(weekdays.map((d) => d.toISOString())).toEqual(['2026-12-04T19:00:00.000Z', '2026-12-07T19:00:00.000Z']);
});

test('an interval counts from its anchor; fire ids and jitter are the same for every process', () => {
  const anchor = new Date('2026-01-01T00:00:00Z');
  expect(firesBetween({ everyMs: 300_000 }, 'UTC', anchor, new Date('2026-01-01T00:12:00Z'), new Date('2026-01-01T00:25:00Z')).map((d) => d.toISOString())).toEqual([
    '2026-01-01T00:15:00.000Z',
    '2026-01-01T00:20:00.000Z',
    '2026-01-01T00:25:00.000Z',
  ]);
  expect(nextFires({ everyMs: 60_000 }, 'UTC', anchor, anchor, 2).map((d) => d.toISOString())).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
  expect(fireWorkflowId('eod', new Date('2026-03-29T07:00:00Z'))).toBe('eod-20260329T070000Z');
  const j = jitterOf('t/eod', new Date('2026-03-29T07:00:00Z'), 60_000);
  expect(j).toBe(jitterOf('t/eod', new Date('2026-03-29T07:00:00Z'), 60_000));
  expect(j).toBeGreaterThanOrEqual(0);
  expect(j).toBeLessThan(60_000);
  expect(jitterOf('t/eod', new Date(), 0)).toBe(0);
});
