import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { isDeepStrictEqual } from 'node:util';
import type { DataSource } from 'typeorm';
import { describeEffect, toEngineEffects } from '../engine/decider/action-adapter';
import { missingStatePath, restore, stateLabel } from '../engine/decider/snapshot';
import { inJumpMachine, jumpMachine, MOVE_EVENT } from '../engine/decider/jump';
import type { WorkflowDefinition } from '../engine/definition/definition';
import { query } from '../engine/store/sql';
import { publicId } from '../engine/store/tenancy';

export type ImpactResult = 'identical' | 'diverges' | 'incompatible';

/** One step as each machine takes it: the state it ends in and what the engine would do. */
export interface StepOutcome {
  state: unknown;
  /** `invoke reserveFunds`, `timer approvalTimeout in 600000 ms`, `effect notifyCustomer`, … */
  actions: string[];
}

export interface ImpactItem {
  workflowId: string;
  tenant: string;
  version: number;
  status: string;
  state: unknown;
  result: ImpactResult;
  /** Recorded inputs replayed (the start included). */
  replayed: number;
  /** The first record the candidate takes differently. */
  divergence?: { seq: number; kind: string; event: string | null; recorded: StepOutcome; candidate: StepOutcome | null; reason?: string };
  /** Why the candidate cannot take the instance over as it is now (its persisted snapshot does not restore). */
  reason?: string;
}

export interface ImpactReport {
  type: string;
  candidate: { version: number; source: string };
  /** The versions whose live instances were replayed. */
  fromVersions: number[];
  summary: { instances: number; identical: number; diverges: number; incompatible: number; byState: { state: string; identical: number; diverges: number; incompatible: number }[] };
  items: ImpactItem[];
  /** More live instances than `limit`: the report covers the first ones by id. */
  truncated: boolean;
  /** Actions are compared only where the instance's own version is registered here. */
  comparedActions: boolean;
}

interface InstanceRow {
  id: string;
  tenant: string;
  definition_version: number;
  status: string;
  state_value: unknown;
  input: unknown;
  snapshot: unknown;
}

interface HistoryRow {
  workflow_id: string;
  seq: number;
  kind: string;
  event: (EventObject & Record<string, unknown>) | null;
  state_after: unknown;
  outcome: string;
}

type Machine = WorkflowDefinition['machine'];

function step(machine: Machine, snapshot: AnyMachineSnapshot | null, event: EventObject | null, input: unknown): { snapshot: AnyMachineSnapshot; outcome: StepOutcome } {
  // An operator's move is replayed as the engine took it: a transition of the jump machine.
  const [next, actions] =
    snapshot === null
      ? initialTransition(machine, input)
      : event?.type === MOVE_EVENT
        ? transition(jumpMachine(machine), inJumpMachine(machine, snapshot), event as never)
        : transition(machine, snapshot, event as never);
  return { snapshot: next, outcome: { state: next.value, actions: toEngineEffects(actions as never, machine.id).map(describeEffect).sort() } };
}

/**
 * Replays one instance's recorded inputs through the candidate's pure transitions: its start,
 * then every input the engine applied, in order. Identical when each step ends in the state
 * the history recorded (and, where the instance's own definition is at hand, with the same
 * actions); diverges at the first record where it does not; incompatible when the candidate
 * cannot restore the instance's snapshot as it is now.
 */
export function replayInstance(candidate: WorkflowDefinition, original: WorkflowDefinition | undefined, row: InstanceRow, history: readonly HistoryRow[]): ImpactItem {
  const base = { workflowId: publicId(row.id), tenant: row.tenant, version: row.definition_version, status: row.status, state: row.state_value };
  const missing = missingStatePath(candidate.machine, row.state_value);
  if (missing) return { ...base, result: 'incompatible', replayed: 0, reason: `its snapshot does not restore in v${candidate.version}: it is in ${missing}, which v${candidate.version} does not have` };
  try {
    restore(candidate.machine, row.snapshot);
  } catch (err) {
    return { ...base, result: 'incompatible', replayed: 0, reason: `its snapshot does not restore in v${candidate.version}: ${(err as Error).message.split('\n')[0]}` };
  }
  const records = history.filter((h) => h.outcome === 'accepted' && h.event && (h.kind === 'workflow.started' || h.event.type !== 'xstate.init'));
  let theirs: AnyMachineSnapshot | null = null;
  let ours: AnyMachineSnapshot | null = null;
  let replayed = 0;
  for (const record of records) {
    const start = record.kind === 'workflow.started';
    const event = start ? null : (record.event as EventObject);
    let recorded: StepOutcome = { state: record.state_after, actions: [] };
    if (original) {
      try {
        const o = step(original.machine, theirs, event, row.input);
        theirs = o.snapshot;
        recorded = { state: record.state_after, actions: o.outcome.actions };
      } catch {
        // The instance's own machine no longer takes its own history: compare states only.
        original = undefined;
      }
    }
    let candidateStep: ReturnType<typeof step>;
    try {
      candidateStep = step(candidate.machine, ours, event, row.input);
    } catch (err) {
      return { ...base, result: 'diverges', replayed, divergence: { seq: record.seq, kind: record.kind, event: event?.type ?? null, recorded, candidate: null, reason: (err as Error).message.split('\n')[0] } };
    }
    replayed++;
    const sameState = isDeepStrictEqual(candidateStep.outcome.state, record.state_after);
    const sameActions = !original || isDeepStrictEqual(candidateStep.outcome.actions, recorded.actions);
    if (!sameState || !sameActions) {
      return { ...base, result: 'diverges', replayed, divergence: { seq: record.seq, kind: record.kind, event: event?.type ?? null, recorded, candidate: candidateStep.outcome } };
    }
    ours = candidateStep.snapshot;
  }
  return { ...base, result: 'identical', replayed };
}

const LIVE = `('running', 'waiting', 'paused')`;
export const IMPACT_LIMIT = 10_000;

/**
 * The impact of `candidate` on the live instances of the other versions of its type (in one
 * tenant, or every tenant for a CI gate): each replayed as `replayInstance` says, with a
 * summary by current state.
 */
export async function analyseImpact(
  db: DataSource,
  candidate: WorkflowDefinition,
  originals: (version: number) => WorkflowDefinition | undefined,
  options: { tenant?: string; fromVersions?: number[]; limit?: number; source: string },
): Promise<ImpactReport> {
  const limit = Math.min(options.limit ?? IMPACT_LIMIT, IMPACT_LIMIT);
  const params: unknown[] = [candidate.type, candidate.version, limit + 1];
  const filters = [`type = $1`, `status IN ${LIVE}`, `definition_version <> $2`];
  if (options.tenant !== undefined) filters.push(`tenant = $${params.push(options.tenant)}`);
  if (options.fromVersions?.length) filters.push(`definition_version = ANY($${params.push(options.fromVersions)}::int[])`);
  const rows = await query<InstanceRow>(db, `SELECT id, tenant, definition_version, status, state_value, input, snapshot FROM workflow_instance WHERE ${filters.join(' AND ')} ORDER BY id LIMIT $3`, params);
  const truncated = rows.length > limit;
  const items: ImpactItem[] = [];
  let comparedActions = true;
  for (let i = 0; i < Math.min(rows.length, limit); i += 200) {
    const batch = rows.slice(i, Math.min(i + 200, limit));
    const history = await query<HistoryRow>(db, `SELECT workflow_id, seq, kind, event, state_after, outcome FROM workflow_history WHERE workflow_id = ANY($1::text[]) ORDER BY workflow_id, seq`, [batch.map((r) => r.id)]);
    const byId = new Map<string, HistoryRow[]>();
    for (const h of history) byId.set(h.workflow_id, [...(byId.get(h.workflow_id) ?? []), h]);
    for (const row of batch) {
      const original = originals(row.definition_version);
      if (!original) comparedActions = false;
      items.push(replayInstance(candidate, original, row, byId.get(row.id) ?? []));
    }
  }
  const byState = new Map<string, { state: string; identical: number; diverges: number; incompatible: number }>();
  for (const item of items) {
    const key = stateLabel(item.state);
    const entry = byState.get(key) ?? { state: key, identical: 0, diverges: 0, incompatible: 0 };
    entry[item.result]++;
    byState.set(key, entry);
  }
  const count = (r: ImpactResult) => items.filter((i) => i.result === r).length;
  return {
    type: candidate.type,
    candidate: { version: candidate.version, source: options.source },
    fromVersions: [...new Set(items.map((i) => i.version))].sort((a, b) => a - b),
    summary: { instances: items.length, identical: count('identical'), diverges: count('diverges'), incompatible: count('incompatible'), byState: [...byState.values()] },
    items,
    truncated,
    comparedActions,
  };
}
