import { randomUUID } from 'node:crypto';
import { transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { toEngineEffects, type EngineEffect } from './action-adapter';
import { resolveRetryPolicy, type WorkflowDefinition } from './definition';
import { z } from 'zod';
import { DomainError } from './errors/domain.error';
import { taskOf, taskTimerEvent, type HumanTaskSpec } from './human-task';
import { HistoryChain, SYSTEM, type Actor, type NewRecord } from './history';
import { serializeError, type InstanceRow } from './instance';
import {
  activityEntry,
  effectEntry,
  eventEntry,
  jobIds,
  removeEntry,
  timerEntry,
  type ChildOutcome,
  type OutboxEntry,
} from './jobs';
import type { DefinitionRegistry } from './registry';
import { persist, statePaths, statusOf, TERMINAL, type WorkflowStatus } from './snapshot';
import type { Tx } from './sql';

/** State shared by every instance touched in one transaction (a parent and the children it starts). */
export class TxContext {
  readonly outbox: OutboxEntry[] = [];
  constructor(readonly tx: Tx) {}
}

export type SpawnChild = (
  ctx: TxContext,
  definition: WorkflowDefinition,
  workflowId: string,
  input: unknown,
  parent: { parentId: string; invocationId: string; tenant: string },
) => Promise<void>;

/**
 * One instance inside one transaction: applies events with XState's pure `transition`,
 * performs the effects it asks for as rows (activity, timer, effect, outbox) and history,
 * then writes the instance row. Nothing here runs an activity or touches Redis.
 */
export class Step {
  readonly chain: HistoryChain;
  snapshot: AnyMachineSnapshot;
  private transitions = 0;
  private forcedStatus?: WorkflowStatus;
  private failure?: unknown;

  constructor(
    private readonly ctx: TxContext,
    private readonly registry: DefinitionRegistry,
    readonly definition: WorkflowDefinition,
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

  get isTerminal(): boolean {
    return TERMINAL.has(this.row.status);
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
    const [next, actions] = transition(this.definition.machine, before, event);
    // transition() returns the same object both for an event nothing handles and for a
    // targetless transition that only runs actions; can() tells them apart.
    if (next === before && !before.can(event)) {
      this.record({ kind, event, stateBefore: before.value, outcome: 'rejected', reason: 'not accepted in the current state', ...extra });
      return false;
    }
    this.record({ kind, event, stateBefore: before.value, stateAfter: next.value, outcome: 'accepted', ...extra });
    this.snapshot = next;
    this.transitions++;
    await this.syncTasks(before, next);
    await this.perform(toEngineEffects(actions, this.definition.machine.id));
    return true;
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
          await this.scheduleTimer(effect.sendId, effect.event, effect.delayMs);
          break;
        case 'cancelTimer': {
          const cancelled = await this.tx.rows<{ id: string }>(
            `UPDATE timer SET status = 'cancelled' WHERE workflow_id = $1 AND send_id = $2 AND status = 'scheduled' RETURNING id`,
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

  private async scheduleTimer(sendId: string, event: { type: string }, delayMs: number): Promise<void> {
    const timerId = randomUUID();
    const dueAt = new Date(Date.now() + delayMs);
    await this.tx.rows(`INSERT INTO timer (id, workflow_id, send_id, event, due_at, status) VALUES ($1, $2, $3, $4, $5, 'scheduled')`, [
      timerId,
      this.row.id,
      sendId,
      JSON.stringify(event),
      dueAt,
    ]);
    this.ctx.outbox.push(timerEntry({ workflowId: this.row.id, timerId }, dueAt));
    this.record({ kind: 'timer.set', outcome: 'ok', data: { timerId, sendId, delayMs, dueAt: dueAt.toISOString() } });
  }

  /**
   * Opens the tasks of states just entered and closes those of states just left, by any
   * path: a completion, a timeout, a cancellation.
   */
  async syncTasks(before: AnyMachineSnapshot | null, after: AnyMachineSnapshot): Promise<void> {
    const left = new Set<unknown>(after._nodes);
    const had = new Set<unknown>(before?._nodes ?? []);
    for (const node of before?._nodes ?? []) if (!left.has(node) && taskOf(node)) await this.closeTasks(node.id, 'the state was left');
    for (const node of after._nodes) {
      const spec = taskOf(node);
      if (spec && !had.has(node)) await this.openTask(node.id, spec);
    }
  }

  private async openTask(stateId: string, spec: HumanTaskSpec): Promise<void> {
    const taskId = randomUUID();
    const dueAt = spec.dueInMs === undefined ? null : new Date(Date.now() + spec.dueInMs);
    await this.tx.rows(
      `INSERT INTO human_task (id, workflow_id, workflow_type, state_id, title, candidate_groups, decisions, form, four_eyes, status, due_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10)`,
      [taskId, this.row.id, this.definition.type, stateId, spec.title, spec.candidateGroups, Object.keys(spec.decisions), spec.form ? JSON.stringify(z.toJSONSchema(spec.form, { unrepresentable: 'any', io: 'input' })) : null, !!spec.fourEyes, dueAt],
    );
    this.record({ kind: 'task.created', outcome: 'ok', data: { taskId, stateId, title: spec.title, candidateGroups: spec.candidateGroups, dueAt: dueAt?.toISOString() ?? null } });
    if (spec.dueInMs !== undefined) await this.scheduleTimer(`task:${taskId}:due`, taskTimerEvent('due', taskId), spec.dueInMs);
    if (spec.reminderInMs !== undefined) await this.scheduleTimer(`task:${taskId}:remind`, taskTimerEvent('remind', taskId), spec.reminderInMs);
    if (spec.escalation) await this.scheduleTimer(`task:${taskId}:escalate`, taskTimerEvent('escalate', taskId), spec.escalation.afterMs);
  }

  private async closeTasks(stateId: string | null, reason: string): Promise<void> {
    const closed = await this.tx.rows<{ id: string }>(
      `UPDATE human_task SET status = 'closed', closed_at = now(), close_reason = $3
        WHERE workflow_id = $1 AND ($2::text IS NULL OR state_id = $2) AND status = 'open' RETURNING id`,
      [this.row.id, stateId, reason],
    );
    for (const t of closed) {
      const timers = await this.tx.rows<{ id: string }>(
        `UPDATE timer SET status = 'cancelled' WHERE workflow_id = $1 AND send_id LIKE $2 AND status = 'scheduled' RETURNING id`,
        [this.row.id, `task:${t.id}:%`],
      );
      for (const timer of timers) this.ctx.outbox.push(removeEntry(this.row.id, 'timers', jobIds.timer(timer.id)));
      this.record({ kind: 'task.closed', outcome: 'ok', reason, data: { taskId: t.id } });
    }
  }

  /** A task's own timer: overdue marks it, escalation adds the spec's group to the candidates. */
  async taskTimerFired(event: { type: string; taskId: string }): Promise<void> {
    const task = await this.tx.one<{ state_id: string }>(`SELECT state_id FROM human_task WHERE id = $1 AND status = 'open' FOR UPDATE`, [event.taskId]);
    if (!task) return;
    if (event.type.endsWith('.due')) {
      await this.tx.rows(`UPDATE human_task SET overdue = true WHERE id = $1`, [event.taskId]);
      this.record({ kind: 'task.overdue', outcome: 'ok', data: { taskId: event.taskId } });
      return;
    }
    if (event.type.endsWith('.remind')) {
      this.record({ kind: 'task.reminded', outcome: 'ok', data: { taskId: event.taskId } });
      return;
    }
    const group = taskOf(this.definition.machine.getStateNodeById(task.state_id))?.escalation?.group;
    if (!group) return;
    await this.tx.rows(
      `UPDATE human_task SET escalated = true, candidate_groups = CASE WHEN $2 = ANY(candidate_groups) THEN candidate_groups ELSE array_append(candidate_groups, $2) END WHERE id = $1`,
      [event.taskId, group],
    );
    this.record({ kind: 'task.escalated', outcome: 'ok', data: { taskId: event.taskId, group } });
  }

  private nextCount(key: string): number {
    const n = (this.row.counters[key] ?? 0) + 1;
    this.row.counters = { ...this.row.counters, [key]: n };
    return n;
  }

  private async invoke(childId: string, src: string, input: unknown): Promise<void> {
    const target = this.registry.invokeTarget(this.definition, src);
    const n = this.nextCount(`invoke:${childId}`);
    const invocationId = randomUUID();
    const idempotencyKey = `${this.row.id}/${childId}/${n}`;
    // ':' never appears in a client's workflow id, so a child's id cannot collide with one.
    const childWorkflowId = target.kind === 'workflow' ? `${this.row.id}:${childId}:${n}` : null;
    await this.tx.rows(
      `INSERT INTO activity (id, workflow_id, child_id, kind, src, seq, input, status, idempotency_key, child_workflow_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8, $9)`,
      [invocationId, this.row.id, childId, target.kind, src, n, JSON.stringify(input ?? null), idempotencyKey, childWorkflowId],
    );
    if (target.kind === 'activity') {
      const policy = resolveRetryPolicy(target.activity.retry);
      this.ctx.outbox.push(
        activityEntry(
          {
            workflowId: this.row.id,
            invocationId,
            type: this.definition.type,
            version: this.definition.version,
            src,
            activityId: childId,
            input,
            idempotencyKey,
            attemptsBefore: 0,
          },
          policy.maximumAttempts,
        ),
      );
      this.record({ kind: 'activity.scheduled', outcome: 'ok', idempotencyKey, data: { activityId: childId, src, invocationId, retry: policy } });
    } else {
      this.record({ kind: 'child.started', outcome: 'ok', data: { activityId: childId, src, invocationId, childWorkflowId, childType: target.definition.type } });
      await this.spawnChild(this.ctx, target.definition, childWorkflowId!, input, { parentId: this.row.id, invocationId, tenant: this.row.tenant });
    }
  }

  private async stop(childId: string): Promise<void> {
    const stopped = await this.tx.rows<{ id: string; kind: string; child_workflow_id: string | null }>(
      `UPDATE activity SET status = 'cancelled', updated_at = now()
        WHERE workflow_id = $1 AND child_id = $2 AND status = 'scheduled' RETURNING id, kind, child_workflow_id`,
      [this.row.id, childId],
    );
    for (const s of stopped) this.cancelInvocation(s);
  }

  private cancelInvocation(s: { id: string; kind: string; child_workflow_id: string | null }): void {
    if (s.kind === 'activity') {
      this.ctx.outbox.push(removeEntry(this.row.id, 'activities', jobIds.activity(s.id)));
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

  /** Ends the instance with the given status without the machine's consent (cancel with no cancel path). */
  forceEnd(status: WorkflowStatus, error?: unknown): void {
    this.forcedStatus = status;
    this.failure = error;
  }

  /** Writes the history and the instance row; on reaching a terminal status, closes what is outstanding. */
  async finish(): Promise<void> {
    const wasTerminal = this.isTerminal;
    const status = this.forcedStatus ?? (wasTerminal ? this.row.status : await this.currentStatus());
    const row = this.row;
    if (!wasTerminal && TERMINAL.has(status)) await this.end(status);
    row.status = status;
    if (this.chain.records.length > 0) await this.writeHistory();
    const persisted = persist(this.definition.machine, this.snapshot);
    const params = [
      row.id,
      status,
      JSON.stringify(this.snapshot.value),
      statePaths(this.snapshot.value),
      persisted,
      row.version + this.transitions,
      row.output === undefined ? null : JSON.stringify(row.output),
      row.error ?? null,
      row.counters,
      this.chain.lastSeq,
      this.chain.lastHash,
      row.cancel_requested,
      row.ended_at,
    ];
    if (this.isNew) {
      await this.tx.rows(
        `INSERT INTO workflow_instance (id, status, state_value, state_paths, snapshot, version, output, error, counters, history_seq,
           history_head, cancel_requested, ended_at, tenant, type, definition_version, business_key, input, parent_id,
           parent_invocation_id, start_fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
        [...params, row.tenant, row.type, row.definition_version, row.business_key, JSON.stringify(row.input), row.parent_id, row.parent_invocation_id, row.start_fingerprint],
      );
    } else {
      await this.tx.rows(
        `UPDATE workflow_instance SET status = $2, state_value = $3, state_paths = $4, snapshot = $5, version = $6, output = $7,
           error = $8, counters = $9, history_seq = $10, history_head = $11, cancel_requested = $12, ended_at = $13, updated_at = now()
         WHERE id = $1`,
        params,
      );
    }
    row.version += this.transitions;
    row.history_seq = this.chain.lastSeq;
    row.history_head = this.chain.lastHash;
  }

  /**
   * `running` while an invocation is outstanding in the engine's own table: XState keeps a
   * finished child in `snapshot.children` under pure transitions, so the snapshot cannot say.
   */
  private async currentStatus(): Promise<WorkflowStatus> {
    const settled = statusOf(this.snapshot, this.row.cancel_requested);
    if (settled !== 'running' && settled !== 'waiting') return settled;
    const open = await this.tx.one(`SELECT 1 FROM activity WHERE workflow_id = $1 AND status = 'scheduled' LIMIT 1`, [this.row.id]);
    return open ? 'running' : 'waiting';
  }

  private async end(status: WorkflowStatus): Promise<void> {
    const row = this.row;
    row.ended_at = new Date();
    // A machine that reached a final state has an output, also when it got there by its cancel path.
    if (this.snapshot.status === 'done') row.output = this.snapshot.output ?? null;
    if (status === 'failed') row.error = serializeError(this.failure ?? this.snapshot.error);
    // A final state stops children and timers in XState too; this catches every row regardless.
    const activities = await this.tx.rows<{ id: string; kind: string; child_workflow_id: string | null }>(
      `UPDATE activity SET status = 'cancelled', updated_at = now() WHERE workflow_id = $1 AND status = 'scheduled'
       RETURNING id, kind, child_workflow_id`,
      [row.id],
    );
    for (const a of activities) this.cancelInvocation(a);
    const timers = await this.tx.rows<{ id: string }>(
      `UPDATE timer SET status = 'cancelled' WHERE workflow_id = $1 AND status = 'scheduled' RETURNING id`,
      [row.id],
    );
    for (const t of timers) this.ctx.outbox.push(removeEntry(row.id, 'timers', jobIds.timer(t.id)));
    await this.closeTasks(null, `the workflow ended ${status}`);
    this.record({ kind: `workflow.${status}`, outcome: status === 'completed' ? 'ok' : 'failed', stateAfter: this.snapshot.value, data: { output: row.output ?? null, error: row.error ?? null } }, SYSTEM);
    if (row.parent_id && row.parent_invocation_id) {
      const outcome: ChildOutcome =
        status === 'completed'
          ? { status, output: row.output }
          : { status: status as 'failed' | 'cancelled', error: row.error ?? { name: 'WorkflowCancelled', message: 'child workflow was cancelled' } };
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

  private async writeHistory(): Promise<void> {
    const cols = 15;
    const values: unknown[] = [];
    const tuples = this.chain.records.map((r, i) => {
      values.push(
        r.workflowId, r.seq, r.recordedAt, r.kind, r.actor, r.origin === null ? null : JSON.stringify(r.origin),
        json(r.event), json(r.stateBefore), json(r.stateAfter), r.outcome, r.reason, r.idempotencyKey, json(r.data), r.prevHash, r.hash,
      );
      return `(${Array.from({ length: cols }, (_, j) => `$${i * cols + j + 1}`).join(', ')})`;
    });
    await this.tx.rows(
      `INSERT INTO workflow_history (workflow_id, seq, recorded_at, kind, actor, origin, event, state_before, state_after, outcome,
         reason, idempotency_key, data, prev_hash, hash) VALUES ${tuples.join(', ')}`,
      values,
    );
    this.chain.records.length = 0;
  }
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
