import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { toEngineEffects, type EngineEffect } from '../decider/action-adapter';
import { DEFAULT_START_TO_CLOSE_TIMEOUT_MS, resolveRetryPolicy, type WorkflowDefinition } from '../definition/definition';
import { BACKSTOP_MS, EAGER_LEASE_MARGIN_MS } from '../store/local-work';
import { DomainError } from '../errors/domain.error';
import { MachineError } from '../errors/machine.error';
import { inJumpMachine, jumpMachine, MOVE_EVENT, type MoveEvent } from '../decider/jump';
import { businessInstant, type BusinessDelay } from '../definition/calendars';
import { describeKept, type KeptInput } from './incidents';
import { machineHasTasks } from '../definition/human-task';
import { insertActivities, writeInstance, type ActivityInsert, type InstanceWrite, type Written } from '../store/instance-write';
import { HistoryChain, SYSTEM, type Actor, type NewRecord } from '../store/history';
import { serializeError, type InstanceRow } from '../store/instance';
import {
  activityEntry,
  effectEntry,
  eventEntry,
  jobIds,
  removeEntry,
  timerEntry,
  type ActivityJob,
  type ChildOutcome,
  type OutboxEntry,
} from '../store/jobs';
import type { DefinitionRegistry } from '../definition/registry';
import { outcomeOf, persist, restore, statePaths, statusOf, TERMINAL, type WorkflowStatus } from '../decider/snapshot';
import type { Tx } from '../store/sql';
import { closeTasks, syncTasks, taskTimerFired, type TaskHost } from './step-tasks';
import { trackStates } from '../decider/state-entered';
import type { SpawnChild, TxContext } from '../store/tx-context';

/**
 * One instance inside one transaction: applies events with XState's pure `transition`,
 * performs the effects it asks for as rows (activity, timer, effect, outbox) and history,
 * then writes the instance row. Nothing here runs an activity or touches Redis.
 */
/** A step's write, prepared: what to write, and what to do once it is written. */
export interface PendingWrite {
  write: InstanceWrite;
  written: (written: Written) => void;
}

/** Paused by an operator, an open incident, or inputs held before still waiting: a new input is kept, in order, not applied. */
export function isHeld(row: InstanceRow): boolean {
  return !TERMINAL.has(row.status) && (row.status === 'paused' || (row.open_incidents ?? 0) > 0 || (row.held_inputs ?? 0) > 0);
}

export class Step implements TaskHost {
  readonly chain: HistoryChain;
  snapshot: AnyMachineSnapshot;
  private transitions = 0;
  /** When this instance's part of the transaction began (before its lock), for the transition duration. */
  startedAt = performance.now();
  /** Activity rows not yet written: they go with the instance row, unless a statement needs them sooner. */
  private pendingInvocations: ActivityInsert[] = [];
  /** Invocations whose row this transaction already settled (their result is the event being applied). */
  private readonly settled = new Set<string>();
  private forcedStatus?: WorkflowStatus;
  private failure?: unknown;
  private lastError?: unknown;

  constructor(
    private readonly ctx: TxContext,
    private readonly registry: DefinitionRegistry,
    private current: WorkflowDefinition,
    readonly row: InstanceRow,
    snapshot: AnyMachineSnapshot,
    private readonly isNew: boolean,
    readonly actor: Actor,
    private readonly spawnChild: SpawnChild,
  ) {
    this.snapshot = snapshot;
    this.chain = new HistoryChain(row.id, row.history_seq, row.history_head, actor);
  }

  get tx(): Tx {
    return this.ctx.tx;
  }

  /** The definition version the instance runs: changed only by a migration. */
  get definition(): WorkflowDefinition {
    return this.current;
  }

  /**
   * Migrates the instance to `target` where it stands (see migration.ts, which checks that its
   * state and the work open there are the same in both versions): the snapshot, its context
   * patched, is taken over by the target's machine, and the row names the new version.
   */
  async switchVersion(target: WorkflowDefinition, contextPatch: Record<string, unknown> | undefined, extra: Partial<NewRecord>): Promise<void> {
    const persisted = persist(this.current.machine, this.snapshot) as { context?: Record<string, unknown> };
    const patched = contextPatch ? { ...persisted, context: { ...(persisted.context ?? {}), ...contextPatch } } : persisted;
    const before = this.snapshot;
    this.snapshot = restore(target.machine, patched);
    this.record({ kind: 'workflow.migrated', stateBefore: before.value, stateAfter: this.snapshot.value, outcome: 'accepted', ...extra });
    await this.tx.rows('UPDATE workflow_instance SET definition_version = $2 WHERE id = $1', [this.row.id, target.version]);
    this.row.definition_version = target.version;
    this.current = target;
  }

  get isTerminal(): boolean {
    return TERMINAL.has(this.row.status);
  }

  /** Paused by an operator, an open incident, or inputs held before still waiting: a new input is kept, in order, not applied. */
  get isHeld(): boolean {
    return isHeld(this.row);
  }

  /** Why an input would be held now. */
  get heldReason(): 'paused' | 'incident' | 'queued' {
    return this.row.status === 'paused' ? 'paused' : (this.row.open_incidents ?? 0) > 0 ? 'incident' : 'queued';
  }

  /** Keeps an input for when the instance is neither paused nor blocked by an incident. */
  async hold(input: KeptInput): Promise<void> {
    await this.tx.rows(`INSERT INTO held_input (workflow_id, input, actor) VALUES ($1, $2, $3)`, [this.row.id, input, this.actor]);
    this.row.held_inputs = (this.row.held_inputs ?? 0) + 1;
    const reason = this.heldReason;
    this.record({
      kind: 'input.held',
      outcome: 'held',
      reason: reason === 'paused' ? 'the workflow is paused' : reason === 'incident' ? 'the workflow has an open incident' : 'inputs held earlier are applied first',
      event: input.kind === 'signal' || input.kind === 'task' ? input.event : null,
      data: describeKept(input),
    });
  }

  record(entry: NewRecord, actor?: Actor): void {
    this.chain.append(entry, actor);
  }

  /** Applies one event; false when the current state does not accept it (recorded as rejected). */
  async apply(event: EventObject, kind: string, extra: Partial<NewRecord> = {}): Promise<boolean> {
    const before = this.snapshot;
    if (this.isTerminal) {
      this.record({ kind, event, stateBefore: before.value, outcome: 'rejected', reason: `workflow is ${this.row.status}`, ...extra });
      return false;
    }
    let next: AnyMachineSnapshot;
    let actions: ReturnType<typeof transition>[1];
    try {
      [next, actions] = transition(this.definition.machine, before, event);
    } catch (err) {
      throw new MachineError(`${this.definition.type}@${this.definition.version} threw on ${event.type}: ${(err as Error)?.message ?? String(err)}`, false, { cause: err });
    }
    // An error event no state handles puts XState's snapshot in `error`: the engine does not
    // take that as the workflow's end. The input is kept by an incident instead.
    if (next.status === 'error') {
      const cause = serializeError(next.error);
      const failed = /^xstate\.error\.actor\.(.+)$/.exec(event.type)?.[1];
      const what = failed ? `the failure of ${failed} is not handled in ${JSON.stringify(before.value)} (no onError)` : `${event.type} is not handled in ${JSON.stringify(before.value)}`;
      throw new MachineError(`${this.definition.type}@${this.definition.version}: ${what}: ${cause.message}`, true, { cause: next.error });
    }
    // transition() returns the same object both for an event nothing handles and for a
    // targetless transition that only runs actions; can() tells them apart.
    if (next === before && !before.can(event)) {
      this.record({ kind, event, stateBefore: before.value, outcome: 'rejected', reason: 'not accepted in the current state', ...extra });
      return false;
    }
    this.record({ kind, event, stateBefore: before.value, stateAfter: next.value, outcome: 'accepted', ...extra });
    // A final state tagged `failed` reached on an error event ends with that error.
    if (event.type.startsWith('xstate.error.actor.')) this.lastError = (event as { error?: unknown }).error;
    await this.took(before, next, actions);
    return true;
  }

  /** After an accepted transition: the new snapshot, the tasks of the states entered and left, and the engine's effects. */
  private async took(before: AnyMachineSnapshot, next: AnyMachineSnapshot, actions: ReturnType<typeof transition>[1]): Promise<void> {
    this.snapshot = next;
    this.transitions++;
    await this.syncTasks(before, next);
    await this.perform(toEngineEffects(actions, this.definition.machine.id));
  }

  /**
   * An operator's move to another state of this version (Camunda's modification, Temporal's
   * reset): taken as a transition of the jump machine (see jump.ts), so the states left stop
   * their activities, timers and children and the state entered starts its own, as if the
   * machine had gone there itself; re-entering the current state re-runs it.
   */
  async move(to: string, extra: Partial<NewRecord> = {}): Promise<void> {
    const machine = this.definition.machine;
    const before = this.snapshot;
    const event: MoveEvent = { type: MOVE_EVENT, to };
    let next: AnyMachineSnapshot;
    let actions: ReturnType<typeof transition>[1];
    try {
      [next, actions] = transition(jumpMachine(machine), inJumpMachine(machine, before), event);
    } catch (err) {
      throw new MachineError(`${this.definition.type}@${this.definition.version} threw moving to ${to}: ${(err as Error)?.message ?? String(err)}`, false, { cause: err });
    }
    this.record({ kind: 'workflow.moved', event, stateBefore: before.value, stateAfter: next.value, outcome: 'accepted', ...extra });
    await this.took(before, next, actions);
  }

  async perform(effects: readonly EngineEffect[]): Promise<void> {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'invoke':
          await this.invoke(effect.childId, effect.src, effect.input);
          break;
        case 'stop':
          await this.stop(effect.childId);
          break;
        case 'timer':
          await this.scheduleTimer(effect.sendId, effect.event, this.businessDelayMs(effect.sendId) ?? effect.delayMs);
          break;
        case 'cancelTimer': {
          const cancelled = await this.tx.rows<{ id: string }>(
            `UPDATE timer SET status = 'cancelled' WHERE workflow_id = $1 AND send_id = $2 AND (status = 'scheduled' OR status = 'held') RETURNING id`,
            [this.row.id, effect.sendId],
          );
          for (const t of cancelled) {
            this.ctx.outbox.push(removeEntry(this.row.id, 'timers', jobIds.timer(t.id)));
            this.record({ kind: 'timer.cancelled', outcome: 'ok', data: { timerId: t.id, sendId: effect.sendId } });
          }
          break;
        }
        case 'emit':
          this.record({ kind: 'event.emitted', event: effect.event, outcome: 'ok' });
          break;
        case 'effect':
          await this.scheduleEffect(effect.name, effect.params);
          break;
      }
    }
  }

  /**
   * The delay of an `after` in business days (businessDays() in definition/calendars.ts), from
   * now, in the calendar's days and wall clock; undefined for any other timer. The machine's own
   * value is a placeholder (its days as 24-hour days): XState needs a number to defer the event.
   */
  private businessDelayMs(sendId: string): number | undefined {
    const name = /^xstate\.after\.([^.]+)\./.exec(sendId)?.[1];
    const delays = (this.definition.machine.implementations as { delays?: Record<string, unknown> }).delays ?? {};
    const d = name ? (delays[name] as { business?: BusinessDelay } | undefined)?.business : undefined;
    if (!d) return undefined;
    const calendar = this.registry.calendars.get(d.calendar);
    if (!calendar) throw new MachineError(`${this.definition.type}@${this.definition.version}: no calendar ${d.calendar} (the calendars: ${this.registry.calendars.ids().join(', ')}; more with CALENDARS)`, false);
    const now = new Date();
    return Math.max(0, businessInstant(calendar, now, d.days, d.at).getTime() - now.getTime());
  }

  async scheduleTimer(sendId: string, event: { type: string }, delayMs: number): Promise<void> {
    const timerId = randomUUID();
    const dueAt = new Date(Date.now() + delayMs);
    // Recorded at the instant the due time is computed, so the history shows the full delay.
    this.record({ kind: 'timer.set', outcome: 'ok', data: { timerId, sendId, delayMs, dueAt: dueAt.toISOString() } });
    await this.tx.rows(`INSERT INTO timer (id, workflow_id, send_id, event, due_at, status) VALUES ($1, $2, $3, $4, $5, 'scheduled')`, [
      timerId,
      this.row.id,
      sendId,
      JSON.stringify(event),
      dueAt,
    ]);
    const job = { workflowId: this.row.id, timerId, dueAt: dueAt.getTime() };
    // Held here and fired from memory when this process has room; the BullMQ job is then the backstop, a little later.
    const held = this.ctx.reserveTimer(delayMs);
    if (held) this.ctx.addLocalTimer(job);
    this.ctx.outbox.push(held ? timerEntry({ ...job, backstop: true }, new Date(dueAt.getTime() + BACKSTOP_MS)) : timerEntry(job, dueAt));
  }

  /** Opens the tasks of states just entered and closes those of states just left (see step-tasks.ts). */
  async syncTasks(before: AnyMachineSnapshot | null, after: AnyMachineSnapshot): Promise<void> {
    if (machineHasTasks(this.definition.machine)) await syncTasks(this, before, after);
  }

  async taskTimerFired(event: EventObject & { taskId: string }): Promise<void> {
    await taskTimerFired(this, event);
  }

  /** A timer of this instance fired; its lateness is measured at commit. */
  firedTimer(dueAt: Date): void {
    this.ctx.firedTimers.push({ workflowId: this.row.id, type: this.definition.type, version: this.definition.version, dueAt: new Date(dueAt) });
  }

  pushOutbox(entry: OutboxEntry): void {
    this.ctx.outbox.push(entry);
  }

  private nextCount(key: string): number {
    const n = (this.row.counters[key] ?? 0) + 1;
    this.row.counters = { ...this.row.counters, [key]: n };
    return n;
  }

  private async invoke(childId: string, src: string, input: unknown): Promise<void> {
    this.settled.delete(childId);
    const target = this.registry.invokeTarget(this.definition, src);
    const n = this.nextCount(`invoke:${childId}`);
    const invocationId = randomUUID();
    const idempotencyKey = `${this.row.id}/${childId}/${n}`;
    // ':' never appears in a client's workflow id, so a child's id cannot collide with one.
    const childWorkflowId = target.kind === 'workflow' ? `${this.row.id}:${childId}:${n}` : null;
    const invocation: ActivityInsert = { id: invocationId, workflowId: this.row.id, childId, kind: target.kind, src, seq: n, input: JSON.stringify(input ?? null), idempotencyKey, childWorkflowId };
    if (target.kind === 'activity') {
      const policy = resolveRetryPolicy(target.activity.retry);
      const job: ActivityJob = { workflowId: this.row.id, invocationId, type: this.definition.type, version: this.definition.version, src, activityId: childId, input, idempotencyKey, attemptsBefore: 0 };
      // Run here after the commit when this process has a free slot: the row, leased to it, is
      // the durable record and no outbox row or BullMQ job is written (see eager.ts).
      const eager = this.ctx.claimEager();
      // Written with the instance row at the end of the step, one round trip fewer.
      this.pendingInvocations.push(eager ? { ...invocation, leaseMs: (target.activity.startToCloseTimeoutMs ?? DEFAULT_START_TO_CLOSE_TIMEOUT_MS) + EAGER_LEASE_MARGIN_MS } : invocation);
      if (eager) this.ctx.addEager(job);
      else this.ctx.outbox.push(activityEntry(job, policy.maximumAttempts));
      this.record({ kind: 'activity.scheduled', outcome: 'ok', idempotencyKey, data: { activityId: childId, src, invocationId, retry: policy } });
    } else {
      await insertActivities(this.tx, [invocation]);
      this.record({ kind: 'child.started', outcome: 'ok', data: { activityId: childId, src, invocationId, childWorkflowId, childType: target.definition.type } });
      await this.spawnChild(this.ctx, target.definition, childWorkflowId!, input, { parentId: this.row.id, invocationId, tenant: this.row.tenant });
    }
  }

  /**
   * The caller marked this invocation's row finished: XState's stop of it on leaving the
   * state then has nothing left to cancel, and the statement can be saved. One scheduled
   * row per invoke id at most exists, since leaving a state stops its invocation.
   */
  invocationSettled(childId: string): void {
    this.settled.add(childId);
  }

  private async stop(childId: string): Promise<void> {
    if (this.settled.has(childId)) return;
    await this.flushInvocations();
    const stopped = await this.tx.rows<{ id: string; kind: string; child_workflow_id: string | null; attempt_limit: number | null }>(
      `UPDATE activity SET status = 'cancelled', updated_at = now()
        WHERE workflow_id = $1 AND child_id = $2 AND (status = 'scheduled' OR status = 'held') RETURNING id, kind, child_workflow_id, attempt_limit`,
      [this.row.id, childId],
    );
    for (const s of stopped) this.cancelInvocation(s);
  }

  private cancelInvocation(s: { id: string; kind: string; child_workflow_id: string | null; attempt_limit?: number | null }): void {
    if (s.kind === 'activity') {
      this.ctx.dropEager(s.id);
      this.ctx.outbox.push(removeEntry(this.row.id, 'activities', jobIds.activity(s.id, s.attempt_limit)));
      this.record({ kind: 'activity.cancelled', outcome: 'ok', data: { invocationId: s.id } });
    } else {
      this.ctx.outbox.push(
        eventEntry(this.row.id, jobIds.childCancel(s.id), { op: 'child.cancel', childWorkflowId: s.child_workflow_id!, parentId: this.row.id }),
      );
      this.record({ kind: 'child.cancelled', outcome: 'ok', data: { invocationId: s.id, childWorkflowId: s.child_workflow_id } });
    }
  }

  private async scheduleEffect(name: string, params: Record<string, unknown>): Promise<void> {
    const impl = this.definition.effects?.[name];
    if (!impl) throw new DomainError(
        'definition_invalid',
        `${this.definition.type}@${this.definition.version}: no effect named "${name}" (an inline action function cannot run in the engine: name it in setup({ actions }) and implement it as an effect)`,
      );
    const effectId = randomUUID();
    const idempotencyKey = `${this.row.id}/${name}/${this.nextCount(`effect:${name}`)}`;
    await this.tx.rows(
      `INSERT INTO effect (id, workflow_id, name, params, idempotency_key, status) VALUES ($1, $2, $3, $4, $5, 'pending')`,
      [effectId, this.row.id, name, params, idempotencyKey],
    );
    const policy = resolveRetryPolicy(impl.retry);
    this.ctx.outbox.push(
      effectEntry(
        { workflowId: this.row.id, effectId, type: this.definition.type, version: this.definition.version, name, params, idempotencyKey, attemptsBefore: 0 },
        policy.maximumAttempts,
      ),
    );
    this.record({ kind: 'effect.scheduled', outcome: 'ok', idempotencyKey, data: { effectId, name, params } });
  }

  /** Ends the instance with the given status without the machine's consent (cancel with no cancel path, an operator's terminate). */
  forceEnd(status: WorkflowStatus, error?: unknown): void {
    this.forcedStatus = status;
    this.failure = error;
  }

  /**
   * Writes the instance row and its history, with the transaction's outbox rows when
   * `flushOutbox` (the outermost step of the transaction); on reaching a terminal status,
   * first closes what is outstanding.
   */
  async finish(flushOutbox = false): Promise<void> {
    const pending = await this.prepareWrite(flushOutbox);
    pending.written(await writeInstance(this.tx, pending.write));
  }

  /**
   * Everything `finish` does but the write itself: what to write, and what to do with its
   * result. A caller that writes several instances in one statement (writeInstances) uses it;
   * nothing may read or change this instance's rows between the two.
   */
  async prepareWrite(flushOutbox = false): Promise<PendingWrite> {
    const row = this.row;
    const wasTerminal = this.isTerminal;
    const statusBefore = this.isNew ? null : row.status;
    const settled = this.forcedStatus ?? (wasTerminal ? row.status : statusOf(this.snapshot, row.cancel_requested));
    if (!wasTerminal && TERMINAL.has(settled)) await this.end(settled);
    const outbox = flushOutbox ? this.ctx.takeOutbox() : [];
    const now = new Date();
    const paths = statePaths(this.snapshot.value);
    const states = trackStates(this.isNew ? [] : row.state_paths, row.state_entered ?? {}, paths, now);
    // `running` while an invocation is outstanding in the engine's own table: XState keeps a
    // finished child in `snapshot.children` under pure transitions, so the snapshot cannot say.
    const write: InstanceWrite = {
      row,
      isNew: this.isNew,
      // An activity scheduled in this step makes it `running` without asking the database.
      status: TERMINAL.has(settled) ? settled : row.status === 'paused' ? 'paused' : this.pendingInvocations.length > 0 ? 'running' : 'live',
      activities: this.pendingInvocations.splice(0),
      stateValue: this.snapshot.value,
      statePaths: paths,
      stateEntered: states.entered,
      snapshot: persist(this.definition.machine, this.snapshot),
      version: row.version + this.transitions,
      history: this.chain.records,
      outbox,
    };
    return { write, written: (written) => this.written(written, { outbox, statusBefore, paths, states }) };
  }

  private written(
    written: Written,
    { outbox, statusBefore, paths, states }: { outbox: OutboxEntry[]; statusBefore: WorkflowStatus | null; paths: string[]; states: ReturnType<typeof trackStates> },
  ): void {
    const row = this.row;
    this.ctx.observations.push({
      workflowId: row.id,
      type: this.definition.type,
      version: this.definition.version,
      started: this.isNew,
      statusBefore,
      statusAfter: written.status,
      transitions: this.transitions,
      statesLeft: states.left,
      startedAt: this.startedAt,
    });
    outbox.forEach((entry, i) => this.ctx.written.push({ ...entry, id: written.outboxIds[i] }));
    this.chain.records.length = 0;
    row.status = written.status;
    row.state_paths = paths;
    row.state_entered = states.entered;
    row.version += this.transitions;
    row.history_seq = this.chain.lastSeq;
    row.history_head = this.chain.lastHash;
  }

  /** Writes the pending activity rows now, for a statement that must see them. */
  private async flushInvocations(): Promise<void> {
    if (this.pendingInvocations.length === 0) return;
    await insertActivities(this.tx, this.pendingInvocations.splice(0));
  }

  private async end(status: WorkflowStatus): Promise<void> {
    await this.flushInvocations();
    const row = this.row;
    row.ended_at = new Date();
    row.outcome = outcomeOf(this.snapshot, status);
    // A machine that reached a final state has an output, also when it got there by its cancel path.
    if (this.snapshot.status === 'done') row.output = this.snapshot.output ?? null;
    if (status === 'failed' || status === 'terminated') row.error = serializeError(this.failure ?? this.snapshot.error ?? this.lastError ?? failureOf(this.snapshot));
    // Nothing is applied after the end: inputs still held are dropped, open incidents closed.
    // The row counts them (in the same transactions that add and take them): most ends have none to drop.
    const dropped = (row.held_inputs ?? 0) > 0 ? await this.tx.rows<{ id: string }>(`DELETE FROM held_input WHERE workflow_id = $1 RETURNING id`, [row.id]) : [];
    row.held_inputs = 0;
    if (dropped.length > 0) this.record({ kind: 'input.discarded', outcome: 'discarded', reason: `the workflow ended ${status}`, data: { heldInputs: dropped.length } });
    if ((row.open_incidents ?? 0) > 0) {
      const closed = await this.tx.rows<{ id: string }>(
        `UPDATE incident SET status = 'resolved', resolution = $2, resolved_at = now(), resolved_by = $3, resolve_reason = $4, updated_at = now()
          WHERE workflow_id = $1 AND status = 'open' RETURNING id`,
        [row.id, status, this.actor.actor, `the workflow ended ${status}`],
      );
      for (const c of closed) this.record({ kind: 'incident.closed', outcome: 'ok', reason: `the workflow ended ${status}`, data: { incidentId: c.id } });
      row.open_incidents = 0;
    }
    // A final state stops children and timers in XState too; this catches every row regardless.
    const stopped = await this.tx.rows<{ table: 'activity' | 'timer'; id: string; kind: string; child_workflow_id: string | null; attempt_limit: number | null }>(
      `WITH a AS (UPDATE activity SET status = 'cancelled', updated_at = now() WHERE workflow_id = $1 AND (status = 'scheduled' OR status = 'held')
                  RETURNING id, kind, child_workflow_id, attempt_limit),
            t AS (UPDATE timer SET status = 'cancelled' WHERE workflow_id = $1 AND (status = 'scheduled' OR status = 'held') RETURNING id)
       SELECT 'activity' AS table, id::text, kind, child_workflow_id, attempt_limit FROM a
       UNION ALL SELECT 'timer', id::text, NULL, NULL, NULL FROM t`,
      [row.id],
    );
    for (const s of stopped) {
      if (s.table === 'activity') this.cancelInvocation(s);
      else this.ctx.outbox.push(removeEntry(row.id, 'timers', jobIds.timer(s.id)));
    }
    if (machineHasTasks(this.definition.machine)) await closeTasks(this, null, `the workflow ended ${status}`);
    this.record({ kind: `workflow.${status}`, outcome: status === 'completed' ? 'ok' : 'failed', stateAfter: this.snapshot.value, data: { outcome: row.outcome, output: row.output ?? null, error: row.error ?? null } }, SYSTEM);
    if (row.parent_id && row.parent_invocation_id) {
      const outcome: ChildOutcome =
        status === 'completed'
          ? { status, output: row.output }
          : { status: status === 'cancelled' ? 'cancelled' : 'failed', error: row.error ?? { name: 'WorkflowCancelled', message: 'child workflow was cancelled' } };
      this.ctx.outbox.push(
        eventEntry(row.id, jobIds.childFinished(row.parent_invocation_id), {
          op: 'child.finished',
          parentId: row.parent_id,
          invocationId: row.parent_invocation_id,
          childWorkflowId: row.id,
          outcome,
        }),
      );
    }
  }
}

/** The error of a machine that ended in a final state tagged `failed`: its output's `reason` or `error`, else the state. */
function failureOf(snapshot: AnyMachineSnapshot): { name: string; message: string; details?: unknown } {
  const output = snapshot.output as { reason?: unknown; error?: unknown } | undefined;
  const message = typeof output?.reason === 'string' ? output.reason : typeof (output?.error as { message?: unknown })?.message === 'string' ? (output!.error as { message: string }).message : `the workflow ended in its failed state ${JSON.stringify(snapshot.value)}`;
  return output === undefined ? { name: 'WorkflowFailed', message } : { name: 'WorkflowFailed', message, details: output };
}
