import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ActivityAttemptObservation, EngineTelemetry, StepObservation, TimerObservation } from '../engine/telemetry/telemetry';
import { TERMINAL } from '../engine/decider/snapshot';

/** Time in a state ranges from milliseconds (an activity) to days (a person, a settlement). */
const STATE_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];
/** A transaction: a few milliseconds when healthy, seconds when the database struggles. */
const TRANSITION_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const ACTIVITY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** A timer applied within a second is on time; minutes late means the workers are behind or were down. */
const LATENESS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900];

const ENDED = { completed: 'completed', failed: 'failed', cancelled: 'cancelled' } as const;

/**
 * The counters and histograms the engine feeds after each commit, activity attempt and timer
 * fire, in a registry of this application's own (two applications in one process, as in the
 * tests, never share counts). Values count what this process did: sum them across processes.
 */
export class EngineMetrics implements EngineTelemetry {
  readonly registry = new Registry();

  readonly started = this.counter('statera_workflows_started_total', 'Workflows started (children included)', ['type', 'version']);
  readonly completed = this.counter('statera_workflows_completed_total', 'Workflows that reached a final state as completed', ['type', 'version']);
  readonly failed = this.counter('statera_workflows_failed_total', 'Workflows that ended failed', ['type', 'version']);
  readonly cancelled = this.counter('statera_workflows_cancelled_total', 'Workflows that ended cancelled', ['type', 'version']);
  readonly transitionSeconds = this.histogram('statera_transition_duration_seconds', 'One instance\'s part of a transaction (lock, transition, snapshot, history, outbox), from its lock to the COMMIT', ['type'], TRANSITION_BUCKETS);
  readonly stateSeconds = this.histogram('statera_state_duration_seconds', 'Time spent in a state (dotted path), observed when the state is left', ['type', 'state'], STATE_BUCKETS);
  readonly activityAttempts = this.counter('statera_activity_attempts_total', 'Activity attempts run, whatever their outcome', ['type', 'activity']);
  readonly eagerAttempts = this.counter('statera_activity_eager_attempts_total', 'Activity attempts run by the process that scheduled them, right after the commit (no BullMQ job)', ['type', 'activity']);
  readonly activityRetries = this.counter('statera_activity_retries_total', 'Activity attempts that failed and will be tried again', ['type', 'activity']);
  readonly activityFailures = this.counter('statera_activity_failures_total', 'Activities that failed for good (a permanent error, or out of attempts)', ['type', 'activity']);
  readonly activitySeconds = this.histogram('statera_activity_attempt_duration_seconds', 'Wall time of one activity attempt', ['type', 'activity'], ACTIVITY_BUCKETS);
  readonly timerLateness = this.histogram('statera_timer_lateness_seconds', 'How long after its due time a durable timer was applied', ['type'], LATENESS_BUCKETS);
  readonly slaBreaches = this.counter('statera_sla_breaches_total', 'Instances that stayed in a state past its SLA (meta.sla), each counted once by the worker that noticed', ['type', 'state']);

  constructor(options: { processMetrics?: boolean } = {}) {
    // CPU, memory, event-loop lag and GC of this process, under their usual names.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  stepCommitted(o: StepObservation): void {
    const version = String(o.version);
    if (o.started) this.started.inc({ type: o.type, version });
    const ended = ENDED[o.statusAfter as keyof typeof ENDED];
    if (ended && (o.started || (o.statusBefore !== null && !TERMINAL.has(o.statusBefore)))) {
      this[ended].inc({ type: o.type, version });
    }
    if (o.started || o.transitions > 0) this.transitionSeconds.observe({ type: o.type }, o.durationMs / 1000);
    for (const left of o.statesLeft) this.stateSeconds.observe({ type: o.type, state: left.state }, left.seconds);
  }

  activityAttempt(o: ActivityAttemptObservation): void {
    const labels = { type: o.type, activity: o.activity };
    this.activityAttempts.inc(labels);
    if (o.dispatch === 'eager') this.eagerAttempts.inc(labels);
    this.activitySeconds.observe(labels, o.durationMs / 1000);
    if (o.outcome === 'retrying') this.activityRetries.inc(labels);
    if (o.outcome === 'failed') this.activityFailures.inc(labels);
  }

  timerFired(o: TimerObservation): void {
    this.timerLateness.observe({ type: o.type }, Math.max(0, o.latenessMs) / 1000);
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram<string> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}

/** Telemetry must never break the engine: a throwing observer is logged once and otherwise ignored. */
export function safeTelemetry(inner: EngineTelemetry, onError: (err: unknown) => void): EngineTelemetry {
  let reported = false;
  const guard =
    <T>(fn: (o: T) => void) =>
    (o: T) => {
      try {
        fn(o);
      } catch (err) {
        if (!reported) onError(err);
        reported = true;
      }
    };
  return {
    stepCommitted: guard((o: StepObservation) => inner.stepCommitted(o)),
    activityAttempt: guard((o: ActivityAttemptObservation) => inner.activityAttempt(o)),
    timerFired: guard((o: TimerObservation) => inner.timerFired(o)),
  };
}
