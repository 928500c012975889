import { bool, int, json, list, nullable, object, oneOfValues, openObject, ref, text, timestamp } from './dsl';

/** src/schedules/schedules.ts `ScheduleRunView`. */
export const ScheduleRun = object({
  nominalAt: timestamp('the fire time the spec gave'),
  outcome: oneOfValues(['started', 'skipped', 'buffered']),
  workflowId: nullable(text('the workflow it started')),
  reason: nullable(text('why it was skipped or buffered, or how it was started (triggered, backfill, buffered)')),
  at: timestamp(),
});

/** src/schedules/schedules.ts `ScheduleView`. */
export const Schedule = object(
  {
    id: text(),
    type: text(),
    version: nullable(int('null: the newest version at each fire')),
    input: json('the input every fire starts with'),
    spec: openObject('`{cron}` or `{everyMs}`'),
    timezone: text(),
    overlap: oneOfValues(['skip', 'buffer-one', 'allow', 'cancel-other']),
    catchupWindowMs: int(),
    jitterMs: int(),
    paused: bool(),
    note: nullable(text('the last pause or resume, with who and why')),
    createdBy: text(),
    createdAt: timestamp(),
    nextFires: list(timestamp(), 'the next nominal fire times (before jitter); empty while paused'),
    bufferedFire: nullable(timestamp('a fire waiting for the previous run to end (buffer-one)')),
    recentRuns: list(ref('ScheduleRun'), 'newest first'),
  },
  'Recurring starts of a workflow type',
);
export const ScheduleList = object({ items: list(ref('Schedule')) });
export const ScheduleBackfill = object({ started: int(), runs: list(ref('ScheduleRun')) });
