import { int, json, list, nullable, object, oneOfValues, text, timestamp, uuid } from './dsl';

const count = (key: string) => object({ type: text(), [key]: text(), count: int() });
const series = list(int());

/** src/console/stats-queries.ts `Overview`. */
export const StatsOverview = object(
  {
    generatedAt: timestamp(),
    counts: list(count('status'), 'instances per type and status'),
    outcomes: list(count('outcome'), 'ended instances per type and business outcome'),
    throughput: object({ minutes: list(timestamp(), "each bucket's start, oldest first"), started: series, completed: series, failed: series }, 'per minute over the last hour'),
    tasks: object({ open: int(), overdue: int() }),
    incidents: object({ open: int(), byKind: list(object({ type: text(), kind: text(), count: int() })) }),
  },
  "The tenant's instances, throughput, tasks and incidents",
);

/** src/console/outstanding-queries.ts `OutstandingWork`. */
export const OutstandingWork = object(
  {
    activities: list(
      object({
        id: uuid(),
        name: text("the activity's name (`src`)"),
        activityId: text("the invoke's id in the machine"),
        kind: text('`activity` or `child`'),
        status: oneOfValues(['scheduled', 'held']),
        attempts: int(),
        attemptLimit: nullable(int()),
        nextRetryAt: nullable(timestamp()),
        childWorkflowId: nullable(text()),
        lastError: json('the last failed attempt\'s error, or null'),
        scheduledAt: timestamp(),
      }),
    ),
    timers: list(object({ id: uuid(), event: text(), status: oneOfValues(['scheduled', 'held']), dueAt: timestamp() })),
  },
  'What a workflow waits on: activities, child workflows, timers',
);
