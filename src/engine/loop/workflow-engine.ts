import { randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { performance } from 'node:perf_hooks';
import { trace } from '@opentelemetry/api';
import type { EventObject } from 'xstate';
import type { DataSource } from 'typeorm';
import { DEFAULT_CANCEL_EVENT, type WorkflowDefinition } from '../definition/definition';
import { DomainError } from '../errors/domain.error';
import type { EagerDispatch, TimerHold } from '../store/local-work';
import { markRecorded } from '../errors/recorded';
import { SYSTEM, type Actor } from '../store/history';
import { toView, type InstanceRow, type WorkflowView } from '../store/instance';
import type { ActivityJob, ChildOutcome, EffectJob, OutboxEntry, TimerJob } from '../store/jobs';
import type { DefinitionRegistry } from '../definition/registry';
import { refusingGuards, restore, type GuardRefusal } from '../decider/snapshot';
import { actorOf, applyInput, settleMany, type ActivityResult, type EngineInput } from './engine-inputs';
import { MachineError } from '../errors/machine.error';
import { describeKept, incidentError, incidentKindOf, type IncidentKind, type IncidentRow, type KeptInput } from './incidents';
import { openIncident } from './incident-store';
import { query } from '../store/sql';
import { checkSignal, checkSignalType } from './signal-checks';
import { checkClaim, createInstance, sha256, spawnChild, type IdempotencyClaim } from './instance-create';
import { isHeld, Step, type PendingWrite } from './step';
import { writeInstances } from '../store/instance-write';
import type { TxContext } from '../store/tx-context';
import { NO_TELEMETRY, type EngineTelemetry } from '../telemetry/telemetry';
import { Transactions } from '../store/transactions';
import { DEFAULT_TENANT, publicId, storedId } from '../store/tenancy';

export type { IdempotencyClaim } from './instance-create';

export interface StartCommand {
  type: string;
  version?: number;
  workflowId?: string;
  businessKey?: string;
  input: unknown;
  /** The starting principal's tenant (default `default`): the workflow, its children and all that hangs off them belong to it. */
  tenant?: string;
}


export interface StartResult {
  workflow: WorkflowView;
  /** false when an identical earlier start (same key, or same workflowId and body) is returned. */
  created: boolean;
}

/** Sends committed outbox rows to BullMQ. */
export interface OutboxDispatcher {
  dispatchCommitted(rows: (OutboxEntry & { id: string })[]): Promise<void>;
}

export interface EngineOptions {
  idempotencyTtlMs: number;
  telemetry?: EngineTelemetry;
  /** One line per incident opened (the structured logger), for operators who watch logs. */
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Runs inside an action's transaction on the locked instance (a batch marks its item there). */
export type StepHook = (step: Step) => Promise<void>;

/** Why an input was kept rather than applied. */
export interface Held {
  /** `queued`: inputs held earlier are applied first. */
  reason: 'paused' | 'incident' | 'queued';
  incidentId?: string;
}

/** A workflow after a signal or cancel; `held` when the input was kept instead of applied. */
export type AppliedView = WorkflowView & { held?: Held };

function heldOf(step: Step): Held {
  return { reason: step.heldReason };
}

function withHeld(result: { view: WorkflowView; held?: Held; incident?: IncidentRow }): AppliedView {
  if (result.incident) return { ...result.view, held: { reason: 'incident', incidentId: result.incident.id } };
  return result.held ? { ...result.view, held: result.held } : result.view;
}

/** The machine's cancel path, or the end `cancelled` without one; the refusal's reason when the machine refused. */
export async function applyCancel(step: Step, reason: string | null, notes?: Record<string, unknown>): Promise<string | undefined> {
  step.row.cancel_requested = true;
  const cancelEvent = step.definition.cancelEvent ?? DEFAULT_CANCEL_EVENT;
  const from = step.chain.records.length;
  const handled = await step.apply({ type: cancelEvent }, 'cancellation.requested', { reason, ...(notes && Object.keys(notes).length ? { data: notes } : {}) });
  if (!handled) step.forceEnd('cancelled');
  const refusal = step.chain.records.slice(from).find((r) => r.kind === 'event.emitted' && (r.event as { type?: string })?.type === 'cancellation.refused');
  if (!refusal) return undefined;
  step.row.cancel_requested = false;
  return String((refusal.event as { reason?: unknown }).reason ?? 'refused by the process');
}

/** A child's end, told to its parent; from a held input, the invocation row may be `held`. */
export async function applyChildOutcome(step: Step, input: Extract<KeptInput, { kind: 'child' }>, fromHeld = false): Promise<void> {
  const { invocationId, childWorkflowId, outcome } = input;
  const holding = step.isHeld && !fromHeld;
  const open = await step.tx.one<{ child_id: string }>(
    `UPDATE activity SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3::text[]) RETURNING child_id`,
    [invocationId, holding ? 'held' : outcome.status === 'completed' ? 'completed' : 'failed', fromHeld ? ['scheduled', 'held'] : ['scheduled']],
  );
  if (!open) {
    step.record({ kind: 'child.result.discarded', outcome: 'discarded', reason: 'the child invocation was stopped', data: { invocationId, childWorkflowId } });
    return;
  }
  if (holding) return step.hold(input);
  step.invocationSettled(open.child_id);
  const event = outcome.status === 'completed'
    ? { type: `xstate.done.actor.${open.child_id}`, output: outcome.output }
    : { type: `xstate.error.actor.${open.child_id}`, error: outcome.error };
  const accepted = await step.apply(event, `child.${outcome.status}`, { data: { invocationId, childWorkflowId } });
  if (!accepted && outcome.status !== 'completed' && !step.isTerminal) {
    throw new MachineError(`${step.definition.type}@${step.definition.version}: the failure of child ${publicId(childWorkflowId)} is not handled in ${JSON.stringify(step.snapshot.value)} (no onError)`, true);
  }
}

/** Applies a kept input (held, or an incident's) to the locked instance. */
export async function applyKept(step: Step, input: KeptInput, fromHeld: boolean): Promise<void> {
  switch (input.kind) {
    case 'activity':
    case 'timer':
      return applyInput(step, input, fromHeld);
    case 'child':
      return applyChildOutcome(step, input, fromHeld);
    case 'signal':
      await step.apply(input.event, 'event.received', { data: { held: true } });
      return;
    case 'task':
      await step.apply(input.event, 'event.received', { data: { taskId: input.taskId, held: true } });
      return;
    case 'cancel':
      if (!step.isTerminal) await applyCancel(step, input.reason);
      return;
  }
}


/**
 * The event loop: every input to a workflow goes through one transaction that locks the
 * instance row, runs the pure transition, and writes snapshot, history and outbox together.
 * The outbox rows are handed to BullMQ after the commit.
 */
export class WorkflowEngine {
  readonly telemetry: EngineTelemetry;
  private readonly transactions: Transactions;

  constructor(
    private readonly db: DataSource,
    readonly registry: DefinitionRegistry,
    private readonly dispatcher: OutboxDispatcher,
    private readonly options: EngineOptions,
  ) {
    this.telemetry = options.telemetry ?? NO_TELEMETRY;
    this.transactions = new Transactions(db, this.telemetry);
  }

  /** Lets transactions lease the activities they schedule to this process (see eager.ts); undefined turns it off. */
  useEagerDispatch(eager: EagerDispatch | undefined): void {
    this.transactions.eager = eager;
  }

  /** Lets transactions hand the timers they set to this process, to fire from memory (see local-work.ts). */
  useLocalTimers(timers: TimerHold | undefined): void {
    this.transactions.timers = timers;
  }

  /** `runVersion`: the version to run when the caller chose it (the API, by lifecycle); the start's fingerprint keeps what the client asked for. */
  async start(cmd: StartCommand, actor: Actor, claim?: IdempotencyClaim, runVersion?: number): Promise<StartResult> {
    const definition = this.registry.get(cmd.type, runVersion ?? cmd.version);
    const input = parseInput(definition, cmd.input);
    const fingerprint = sha256(canonicalize({ type: cmd.type, version: cmd.version ?? null, workflowId: cmd.workflowId ?? null, businessKey: cmd.businessKey ?? null, input: cmd.input }) ?? '');
    const tenant = cmd.tenant ?? DEFAULT_TENANT;
    const workflowId = storedId(tenant, cmd.workflowId ?? randomUUID());
    const { result, outbox } = await this.transactions.run(async (ctx) => {
      if (claim) {
        const replay = await checkClaim(ctx.tx, claim, fingerprint, tenant);
        if (replay) return { workflow: replay, created: false };
      }
      // A client's own workflowId may be started twice at once; a fresh UUID cannot exist yet.
      if (cmd.workflowId !== undefined) {
        // Serialises concurrent starts of one workflowId, so the second sees the first's row.
        await ctx.tx.rows('SELECT pg_advisory_xact_lock(hashtextextended($1, 1))', [workflowId]);
        const existing = await ctx.tx.one<InstanceRow>('SELECT * FROM workflow_instance WHERE id = $1 AND tenant = $2', [workflowId, tenant]);
        if (existing) {
          if (existing.start_fingerprint !== fingerprint) {
            throw new DomainError('workflow_id_conflict', `workflow ${cmd.workflowId} already exists with a different start request`, { workflowId: cmd.workflowId });
          }
          return { workflow: toView(existing), created: false };
        }
      }
      const row = await createInstance(ctx, this.registry, definition, workflowId, input, actor, {
        fingerprint,
        businessKey: cmd.businessKey ?? null,
        tenant,
        outermost: true,
      });
      if (claim) {
        await ctx.tx.rows(
          `INSERT INTO idempotency_key (scope, key, fingerprint, workflow_id, response_status, expires_at) VALUES ($1, $2, $3, $4, 201, $5)`,
          [claim.scope, claim.key, fingerprint, workflowId, new Date(Date.now() + this.options.idempotencyTtlMs)],
        );
      }
      return { workflow: toView(row), created: true };
    });
    await this.dispatch(outbox);
    return result;
  }

  /**
   * A signal from a client: 409 when the current state does not accept it (the refusal is
   * recorded). While the workflow is paused or has an open incident the signal is kept and
   * applied later (`held` says why); a signal the machine cannot take opens an incident.
   */
  async signal(workflowId: string, event: EventObject, actor: Actor): Promise<AppliedView> {
    checkSignalType(event);
    const input: KeptInput = { kind: 'signal', event };
    const result = await this.applyOrOpenIncident(workflowId, input, actor, async (step) => {
      await checkSignal(step, event);
      if (step.isHeld) {
        // Kept for later only if some state of the machine takes it: an unknown type is refused now, as it would be then.
        if (!step.definition.machine.root.events.includes(event.type)) {
          step.record({ kind: 'event.received', event, stateBefore: step.snapshot.value, outcome: 'rejected', reason: 'no state of the machine accepts it' });
          return { accepted: false };
        }
        await step.hold(input);
        return { accepted: true, held: heldOf(step) };
      }
      // The guards are read before the event: what refused it is what the states it met had.
      const guards = refusingGuards(step.snapshot, event.type);
      const accepted = await step.apply(event, 'event.received');
      return accepted ? { accepted } : { accepted, guards };
    });
    if (result.accepted === false) {
      // Recorded already: the step wrote the rejected event into the history.
      const guards = (result as { guards?: GuardRefusal[] }).guards ?? [];
      const why = guards.length
        ? `: the state has a transition for it, but ${guards.map((g) => `guard ${g.guard} refused it${g.description ? ` (${g.description})` : ''}`).join('; ')}`
        : '';
      throw markRecorded(
        new DomainError('event_not_accepted', `event ${event.type} is not accepted in state ${JSON.stringify(result.view.state)} (status ${result.view.status})${why}`, {
          workflowId: result.view.id,
          state: result.view.state,
          status: result.view.status,
          ...(guards.length ? { refusedBy: guards } : {}),
        }),
      );
    }
    return withHeld(result);
  }

  /**
   * Takes the machine's cancel path when it has one; otherwise stops everything and ends
   * `cancelled`. A machine may refuse (money already in flight) by emitting
   * `cancellation.refused`: the refusal is recorded and answered 409, and the workflow goes on.
   * A paused workflow, or one with an open incident, keeps the request and applies it later.
   */
  async cancel(workflowId: string, actor: Actor, reason?: string, hook?: StepHook, notes?: Record<string, unknown>): Promise<AppliedView> {
    const input: KeptInput = { kind: 'cancel', reason: reason ?? null };
    const result = await this.applyOrOpenIncident(workflowId, input, actor, async (step) => {
      if (step.isTerminal) return { terminal: true };
      await hook?.(step);
      if (step.isHeld) {
        await step.hold(input);
        return { held: heldOf(step) };
      }
      return { refused: await applyCancel(step, reason ?? null, notes) };
    });
    const view = result.view;
    if (result.terminal) throw new DomainError('workflow_terminal', `workflow ${view.id} already ended ${view.status}`, { status: view.status });
    if (result.refused !== undefined) throw markRecorded(new DomainError('cancellation_refused', result.refused, { workflowId: view.id, state: view.state }));
    return withHeld(result);
  }

  async activityFinished(job: ActivityJob, result: ActivityResult): Promise<void> {
    await this.applyInput({ kind: 'activity', job, result });
  }

  async timerFired(job: TimerJob): Promise<void> {
    await this.applyInput({ kind: 'timer', job });
  }

  /** One activity result or timer fire, in its own transaction; an incident when it cannot apply. */
  async applyInput(input: EngineInput): Promise<void> {
    await this.applyOrOpenIncident(input.job.workflowId, input, actorOf(input), (step) => applyInput(step, input));
  }

  /**
   * Several inputs in one transaction: one commit (and one fsync) for all of them, the way
   * PostgreSQL's group commit would, when many results arrive at once. Instances are locked
   * in id order, so two such transactions cannot deadlock on each other. Throws if any input
   * cannot be applied; the caller then applies each on its own, with its own failure handling.
   */
  async applyTogether(inputs: readonly EngineInput[]): Promise<void> {
    const ordered = [...inputs].sort((x, y) => (x.job.workflowId < y.job.workflowId ? -1 : x.job.workflowId > y.job.workflowId ? 1 : 0));
    const { outbox } = await this.transactions.run(async (ctx) => {
      trace.getActiveSpan()?.setAttributes({ 'statera.batch_size': ordered.length, 'statera.workflow_ids': ordered.map((i) => i.job.workflowId) });
      // Set-based: every instance locked by one statement (in the same id order), and the
      // first input of each marks its activity or timer row in one statement per kind. An
      // instance's further inputs go one by one after its first, since the first's transition
      // may stop what they answer.
      const ids = [...new Set(ordered.map((i) => i.job.workflowId))];
      const rows = new Map(
        (await ctx.tx.rows<InstanceRow>('SELECT * FROM workflow_instance WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR NO KEY UPDATE', [ids])).map((r) => [r.id, r]),
      );
      const firsts = ids.flatMap((id) => {
        const row = rows.get(id);
        return row ? [{ input: ordered.find((i) => i.job.workflowId === id)!, holding: isHeld(row) }] : [];
      });
      const settled = new Map(firsts.map((f, i) => [f.input, i]));
      const marks = await settleMany(ctx.tx, firsts);
      // The instances' writes go together too, in as few statements as fit; an instance's
      // later input reads what its first wrote, so what is pending is written before it.
      const pending: PendingWrite[] = [];
      const flush = async () => {
        const written = await writeInstances(ctx.tx, pending.map((p) => p.write));
        pending.splice(0).forEach((p, i) => p.written(written[i]));
      };
      for (const input of ordered) {
        ctx.useTrace(input.job.trace);
        const first = settled.get(input);
        if (first === undefined) await flush();
        await this.inInstance(
          ctx,
          input.job.workflowId,
          actorOf(input),
          (step) => applyInput(step, input, false, first === undefined ? undefined : { row: marks[first] }),
          first === undefined ? { annotate: false } : { annotate: false, locked: rows.get(input.job.workflowId), defer: pending },
        );
      }
      await flush();
    });
    await this.dispatch(outbox);
  }

  /** Records a failed attempt that will be retried; false when the invocation is no longer wanted. */
  async activityAttemptFailed(job: ActivityJob, attempt: number, error: unknown, retryInMs: number, worker: string): Promise<boolean> {
    const { open } = await this.withInstance(job.workflowId, { actor: `activity:${job.src}` }, async (step) => {
      const row = await step.tx.one(
        // An eager attempt's lease ends here: the retry is BullMQ's.
        `UPDATE activity SET attempts = GREATEST(attempts, $2), last_error = $3, lease_until = NULL, updated_at = now() WHERE id = $1 AND status = 'scheduled' RETURNING id`,
        [job.invocationId, attempt, error],
      );
      if (row) {
        step.record({ kind: 'activity.attempt.failed', outcome: 'failed', reason: (error as { message?: string }).message ?? null, idempotencyKey: job.idempotencyKey, data: { invocationId: job.invocationId, attempt, error, retryInMs, worker } });
      }
      return { open: !!row };
    });
    return open;
  }

  async effectFinished(job: EffectJob, ok: boolean, attempts: number, error?: unknown): Promise<void> {
    await this.withInstance(job.workflowId, { actor: `effect:${job.name}` }, async (step) => {
      const row = await step.tx.one(
        `UPDATE effect SET status = $2, attempts = $3, last_error = $4, done_at = now() WHERE id = $1 AND status = 'pending' RETURNING id`,
        [job.effectId, ok ? 'done' : 'failed', attempts, error ?? null],
      );
      if (row) step.record({ kind: ok ? 'effect.completed' : 'effect.failed', outcome: ok ? 'ok' : 'failed', idempotencyKey: job.idempotencyKey, data: { effectId: job.effectId, name: job.name, attempts, error: error ?? null } });
    });
  }

  /** Records a failed effect attempt that will be retried, so a re-send after Redis loss keeps the count. */
  async effectAttemptFailed(job: EffectJob, attempt: number, error: unknown): Promise<boolean> {
    const { open } = await this.withInstance(job.workflowId, { actor: `effect:${job.name}` }, async (step) => {
      const row = await step.tx.one(`UPDATE effect SET attempts = $2, last_error = $3 WHERE id = $1 AND status = 'pending' RETURNING id`, [job.effectId, attempt, error]);
      if (row) step.record({ kind: 'effect.attempt.failed', outcome: 'failed', reason: (error as { message?: string }).message ?? null, idempotencyKey: job.idempotencyKey, data: { effectId: job.effectId, name: job.name, attempt, error } });
      return { open: !!row };
    });
    return open;
  }

  /** Raises an outstanding activity's attempt count (never lowers it). */
  async countAttempts(invocationId: string, attempts: number): Promise<void> {
    await query(this.db, `UPDATE activity SET attempts = GREATEST(attempts, $2) WHERE id = $1 AND status = 'scheduled'`, [invocationId, attempts]);
  }

  /** Whether a timer has fired (the backstop job of a timer fired from memory then has nothing to do). */
  async timerFiredAlready(timerId: string): Promise<boolean> {
    const [row] = await query<{ status: string }>(this.db, `SELECT status FROM timer WHERE id = $1`, [timerId]);
    return row?.status === 'fired';
  }

  /**
   * Whether an activity or effect is still wanted before a worker runs it: `open`, `closed`
   * (stopped, finished, or held with an incident), or `paused` (its workflow is paused: the job
   * waits and is looked at again).
   */
  async dispatchState(table: 'activity' | 'effect', id: string): Promise<'open' | 'closed' | 'paused'> {
    const [row] = await query<{ status: string; workflow_status: string }>(
      this.db,
      `SELECT x.status, w.status AS workflow_status FROM ${table} x JOIN workflow_instance w ON w.id = x.workflow_id WHERE x.id = $1`,
      [id],
    );
    if (!row || row.status !== (table === 'activity' ? 'scheduled' : 'pending')) return 'closed';
    return row.workflow_status === 'paused' ? 'paused' : 'open';
  }

  async childFinished(parentId: string, invocationId: string, childWorkflowId: string, outcome: ChildOutcome): Promise<void> {
    const input: KeptInput = { kind: 'child', invocationId, childWorkflowId, outcome };
    await this.applyOrOpenIncident(parentId, input, { actor: `workflow:${childWorkflowId}` }, (step) => applyChildOutcome(step, input));
  }

  async cancelChild(childWorkflowId: string, parentId: string): Promise<void> {
    try {
      await this.cancel(childWorkflowId, { actor: `workflow:${parentId}` }, 'the parent left the invoking state');
    } catch (err) {
      // A child that already ended, or that refuses (money in flight), goes its own way.
      if (!(err instanceof DomainError && ['workflow_terminal', 'workflow_not_found', 'cancellation_refused'].includes(err.code))) throw err;
    }
  }

  /**
   * Runs `fn` on the locked instance. An error that may pass (the default) is rethrown, for the
   * caller to retry with backoff; one known to be permanent (the machine threw, an error it
   * does not handle, a value PostgreSQL refuses) opens an incident that keeps the input, and
   * the workflow keeps its state. A version this process does not register is rethrown: its
   * job is parked for a process that does.
   */
  async applyOrOpenIncident<R extends object>(
    workflowId: string,
    input: KeptInput,
    actor: Actor,
    fn: (step: Step) => Promise<R | void>,
    options: { fromHeld?: boolean; heldId?: string } = {},
  ): Promise<Partial<R> & { view: WorkflowView; incident?: IncidentRow }> {
    try {
      return (await this.withInstance(workflowId, actor, fn)) as Partial<R> & { view: WorkflowView };
    } catch (err) {
      const kind = incidentKindOf(err, input);
      if (!kind) throw err;
      return (await this.openIncidentFor(workflowId, kind, err, input, options)) as Partial<R> & { view: WorkflowView; incident?: IncidentRow };
    }
  }

  /** Opens an incident for an input that could not be applied, in a transaction of its own. */
  async openIncidentFor(
    workflowId: string,
    kind: IncidentKind,
    err: unknown,
    input: KeptInput,
    options: { fromHeld?: boolean; heldId?: string } = {},
  ): Promise<{ view: WorkflowView; incident?: IncidentRow }> {
    const error = incidentError(err);
    const opened = await this.withInstance(workflowId, SYSTEM, async (step) => {
      if (step.isTerminal) {
        step.record({ kind: 'engine.error', outcome: 'failed', reason: error.message, data: { error, input: describeKept(input) } });
        return {};
      }
      return { incident: await openIncident(step, kind, error, input, options) };
    });
    if (opened.incident) {
      this.options.log?.('incident opened', { incidentId: opened.incident.id, workflowId: publicId(workflowId), tenant: opened.incident.tenant, type: opened.incident.type, kind, error: error.message });
    }
    return opened;
  }

  /**
   * Records a refused request in the instance's history (the refusal itself rolled back its
   * own transaction). False when there is no such instance.
   */
  async recordRefusal(workflowId: string, actor: Actor, refusal: { route: string; status: number; code: string; reason: string }): Promise<boolean> {
    try {
      await this.withInstance(workflowId, actor, async (step) => {
        step.record({ kind: 'request.refused', outcome: 'rejected', reason: refusal.reason, data: { route: refusal.route, status: refusal.status, code: refusal.code } });
      });
      return true;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'workflow_not_found') return false;
      throw err;
    }
  }

  /** One transaction on one locked instance (also the task service's way in). */
  async withInstance<R extends object = object>(
    workflowId: string,
    actor: Actor,
    fn: (step: Step) => Promise<R | void>,
  ): Promise<R & { view: WorkflowView }> {
    const { result, outbox } = await this.transactions.run((ctx) => this.inInstance(ctx, workflowId, actor, fn));
    await this.dispatch(outbox);
    return result;
  }

  /** Locks one instance inside the given transaction, runs `fn` on it and writes it. */
  private async inInstance<R extends object = object>(
    ctx: TxContext,
    workflowId: string,
    actor: Actor,
    fn: (step: Step) => Promise<R | void>,
    { annotate = true, locked, defer }: { annotate?: boolean; locked?: InstanceRow; defer?: PendingWrite[] } = {},
  ): Promise<R & { view: WorkflowView }> {
    // NO KEY UPDATE: steps exclude each other, while foreign-key checks of rows that refer
    // to the instance (children, SLA breaches) need not wait for it. `locked`: this
    // transaction locked and read the row already. `defer`: the write is added there, for
    // the caller to send with others (the view returned is then the row before it).
    const startedAt = performance.now();
    const row = locked ?? (await ctx.tx.one<InstanceRow>('SELECT * FROM workflow_instance WHERE id = $1 FOR NO KEY UPDATE', [workflowId]));
    if (!row) throw new DomainError('workflow_not_found', `no workflow ${publicId(workflowId)}`, { workflowId: publicId(workflowId) });
    const definition = this.registry.get(row.type, row.definition_version);
    if (annotate) trace.getActiveSpan()?.setAttributes({ 'statera.workflow_id': workflowId, 'statera.type': row.type, 'statera.version': row.definition_version });
    // An ended instance whose snapshot retention emptied is rebuilt from its state alone: it takes no input anyway.
    const snapshot = row.pruned_at ? definition.machine.resolveState({ value: row.state_value as never, context: {} }) : restore(definition.machine, row.snapshot);
    const step = new Step(ctx, this.registry, definition, row, snapshot, false, actor, spawnChild(this.registry));
    step.startedAt = startedAt;
    const r = await fn(step);
    if (defer) defer.push(await step.prepareWrite(true));
    else await step.finish(true);
    row.snapshot = { ...row.snapshot, context: step.snapshot.context };
    row.state_value = step.snapshot.value;
    row.updated_at = new Date();
    return { ...(r as R), view: toView(row) };
  }

  private async dispatch(rows: (OutboxEntry & { id: string })[]): Promise<void> {
    if (rows.length > 0) await this.dispatcher.dispatchCommitted(rows);
  }
}

function parseInput(definition: WorkflowDefinition, input: unknown): unknown {
  const parsed = definition.input.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new DomainError('validation_failed', `input does not match ${definition.type}@${definition.version}`, {
    errors: parsed.error.issues.map((i) => ({ field: ['input', ...i.path.map(String)].join('.'), message: i.message })),
  });
}

