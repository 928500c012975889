import { fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, humanTask, NonRetryableError } from '../../src/engine';
import { startHttpApp, type HttpHarness } from '../support/http-app';
import { waitFor } from '../support/env';
import { approval } from '../support/test-definitions';

// --- the workload's own processes ---------------------------------------------------------
/** An activity that refuses at once, and a machine that fails on it (a final state tagged `failed`). */
const doomed = defineWorkflow({
  type: 'metrics-doomed',
  version: 1,
  machine: setup({ actors: { refuse: fromPromise<unknown, unknown>(async () => undefined) } }).createMachine({
    id: 'doomed',
    initial: 'calling',
    states: { calling: { invoke: { id: 'refuse', src: 'refuse', onError: 'refused' } }, refused: { type: 'final', tags: ['failed'] } },
  }),
  input: z.object({}),
  exampleInput: {},
  activities: {
    refuse: {
      run: async () => {
        throw new NonRetryableError('account closed');
      },
    },
  },
});

/** A person's step that is due at once and has a short SLA: overdue as a task and as a state. */
const slow = defineWorkflow({
  type: 'metrics-review',
  version: 1,
  machine: setup({ types: { events: {} as { type: 'review.approved'; reviewer: string } } }).createMachine({
    id: 'review',
    initial: 'review',
    states: {
      review: {
        meta: {
          sla: { maxDurationMs: 300 },
          task: humanTask({ title: 'Review', candidateGroups: ['metrics-reviewers'], decisions: { approve: 'review.approved' }, principalField: 'reviewer', dueInMs: 200 }),
        },
        on: { 'review.approved': 'done' },
      },
      done: { type: 'final' },
    },
  }),
  input: z.object({}),
  exampleInput: {},
});

// --- the Prometheus text format -------------------------------------------------------------
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The one sample of `name` whose labels include `labels`; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

let api: HttpHarness;
beforeAll(async () => {
  api = await startHttpApp('metrics', [doomed, slow, approval], { env: { SLA_CHECK_INTERVAL_MS: '200' } });
});
afterAll(() => api.close());

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${api.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

async function until(id: string, statuses: string[]) {
  return waitFor(async () => {
    const res = await api.request('GET', `/v1/workflows/${id}`);
    return statuses.includes(res.body.status) ? res.body : undefined;
  }, `${id} to reach ${statuses}`);
}

const start = (type: string, workflowId: string, input: unknown) => api.request('POST', '/v1/workflows', { type, workflowId, input });
const transfer = (id: string, failFirstAttempts: number) => ({ transferId: id, amount: { value: 1000, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts });

test('/metrics is open to scrapers and carries the process metrics', async () => {
  const samples = await scrape();
  expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  // Nothing ran yet: the engine's counters have no series.
  expect(value(samples, 'statera_workflows_started_total', { type: 'demo-transfer' })).toBeUndefined();
});

test('after a known workload, /metrics counts exactly what happened', async () => {
  // 3 transfers approved after 0, 1 and 2 failed reservations; 1 cancelled while waiting.
  for (const [i, failures] of [0, 1, 2].entries()) expect((await start('demo-transfer', `m-ok-${i}`, transfer(`T-${i}`, failures))).status).toBe(201);
  expect((await start('demo-transfer', 'm-cancel', transfer('T-c', 0))).status).toBe(201);
  // 2 that fail on a permanent activity error; 1 whose timer fires; 1 waiting on an overdue person.
  for (const i of [0, 1]) expect((await start('metrics-doomed', `m-doomed-${i}`, {})).status).toBe(201);
  expect((await start('test-approval', 'm-timer', { timeoutMs: 300 })).status).toBe(201);
  expect((await start('metrics-review', 'm-review', {})).status).toBe(201);

  for (const i of [0, 1, 2]) {
    await until(`m-ok-${i}`, ['waiting']);
    expect((await api.request('POST', `/v1/workflows/m-ok-${i}/events`, { type: 'transfer.approved', approver: 'ops-1' })).status).toBe(200);
  }
  await until('m-cancel', ['waiting']);
  expect((await api.request('POST', '/v1/workflows/m-cancel/cancel', {})).status).toBe(200);
  expect((await until('m-cancel', ['cancelled', 'completed'])).status).toBe('cancelled');
  for (const i of [0, 1]) await until(`m-doomed-${i}`, ['failed']);
  expect((await until('m-timer', ['completed'])).state).toBe('expired');

  // The review task's due timer and the SLA monitor both act on their own: wait for them.
  const samples = await waitFor(async () => {
    const s = await scrape();
    return value(s, 'statera_sla_breaches_total', { type: 'metrics-review' }) === 1 && value(s, 'statera_human_tasks_overdue', { group: 'metrics-reviewers' }) === 1 ? s : undefined;
  }, 'the review to be overdue as a task and past its SLA', 10_000, 100);

  const v = (name: string, labels: Record<string, string>) => value(samples, name, labels);
  const demo = { type: 'demo-transfer', version: '1' };
  expect(v('statera_workflows_started_total', demo)).toBe(4);
  expect(v('statera_workflows_completed_total', demo)).toBe(3);
  expect(v('statera_workflows_cancelled_total', demo)).toBe(1);
  expect(v('statera_workflows_failed_total', demo)).toBeUndefined();
  expect(v('statera_workflows_started_total', { type: 'metrics-doomed', version: '1' })).toBe(2);
  expect(v('statera_workflows_failed_total', { type: 'metrics-doomed', version: '1' })).toBe(2);
  expect(v('statera_workflows_started_total', { type: 'test-approval', version: '1' })).toBe(1);
  expect(v('statera_workflows_completed_total', { type: 'test-approval', version: '1' })).toBe(1);
  expect(v('statera_workflows_started_total', { type: 'metrics-review', version: '1' })).toBe(1);
  expect(v('statera_workflows_completed_total', { type: 'metrics-review', version: '1' })).toBeUndefined();

  // Attempts: 1 + 2 + 3 for the approved ones, 1 for the cancelled one; the 3 failed ones were retried.
  const reserve = { type: 'demo-transfer', activity: 'reserveFunds' };
  expect(v('statera_activity_attempts_total', reserve)).toBe(7);
  expect(v('statera_activity_retries_total', reserve)).toBe(3);
  expect(v('statera_activity_failures_total', reserve)).toBeUndefined();
  const refuse = { type: 'metrics-doomed', activity: 'refuse' };
  expect(v('statera_activity_attempts_total', refuse)).toBe(2);
  expect(v('statera_activity_failures_total', refuse)).toBe(2);
  expect(v('statera_activity_retries_total', refuse)).toBeUndefined();
  expect(v('statera_activity_attempt_duration_seconds_count', reserve)).toBe(7);

  // Every state left is observed once: each transfer left `reserving` and `awaitingApproval` once.
  expect(v('statera_state_duration_seconds_count', { type: 'demo-transfer', state: 'reserving' })).toBe(4);
  expect(v('statera_state_duration_seconds_count', { type: 'demo-transfer', state: 'awaitingApproval' })).toBe(4);
  expect(v('statera_state_duration_seconds_count', { type: 'test-approval', state: 'waiting' })).toBe(1);
  // The approval waited its 300 ms timer before leaving.
  expect(v('statera_state_duration_seconds_sum', { type: 'test-approval', state: 'waiting' })).toBeGreaterThanOrEqual(0.3);
  expect(v('statera_state_duration_seconds_count', { type: 'metrics-review', state: 'review' })).toBeUndefined();
  // Starts, results, signals and cancels: at least one transaction per workflow and more.
  expect(v('statera_transition_duration_seconds_count', { type: 'demo-transfer' })).toBeGreaterThanOrEqual(4 + 4 + 4);
  expect(v('statera_timer_lateness_seconds_count', { type: 'test-approval' })).toBe(1);

  // Read at scrape time from PostgreSQL and Redis.
  expect(v('statera_human_tasks_open', { group: 'metrics-reviewers' })).toBe(1);
  expect(v('statera_human_tasks_overdue', { group: 'metrics-reviewers' })).toBe(1);
  expect(v('statera_sla_overdue_workflows', { type: 'metrics-review', state: 'review' })).toBe(1);
  expect(v('statera_sla_breaches_total', { type: 'metrics-review', state: 'review' })).toBe(1);
  expect(v('statera_outbox_lag_seconds', {})).toBeLessThan(5);
  expect(v('statera_outbox_pending', {})).toBeGreaterThanOrEqual(0);
  for (const queue of ['activities', 'timers', 'effects', 'events']) {
    for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(v('statera_queue_jobs', { queue, state })).toBeGreaterThanOrEqual(0);
  }
  expect(v('statera_queue_jobs', { queue: 'activities', state: 'active' })).toBe(0);

  // Deciding the task ends the overdue state: the gauges follow, the breach count stays.
  const task = (await api.request('GET', '/v1/tasks?workflow=m-review')).body.items[0];
  expect((await api.request('POST', `/v1/tasks/${task.id}/complete`, { decision: 'approve', data: {} })).status).toBe(200);
  const after = await scrape();
  expect(value(after, 'statera_sla_overdue_workflows', { type: 'metrics-review' })).toBeUndefined();
  expect(value(after, 'statera_human_tasks_open', { group: 'metrics-reviewers' })).toBeUndefined();
  expect(value(after, 'statera_sla_breaches_total', { type: 'metrics-review', state: 'review' })).toBe(1);
  expect(value(after, 'statera_workflows_completed_total', { type: 'metrics-review', version: '1' })).toBe(1);
  expect(value(after, 'statera_state_duration_seconds_count', { type: 'metrics-review', state: 'review' })).toBe(1);
});
