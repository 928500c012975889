import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { initialTransition } from 'xstate';
import { toEngineEffects } from '../decider/action-adapter';
import type { WorkflowDefinition } from '../definition/definition';
import { DomainError } from '../errors/domain.error';
import { GENESIS_HASH, type Actor } from '../store/history';
import { toView, type InstanceRow, type WorkflowView } from '../store/instance';
import type { DefinitionRegistry } from '../definition/registry';
import type { Tx } from '../store/sql';
import { Step } from './step';
import type { SpawnChild, TxContext } from '../store/tx-context';

export interface IdempotencyClaim {
  scope: string;
  key: string;
}

export interface CreateOptions {
  fingerprint: string;
  businessKey: string | null;
  tenant: string;
  parentId?: string;
  parentInvocationId?: string;
  /** The transaction's outermost instance writes the outbox rows with its own row. */
  outermost?: boolean;
}

/** Same key and body: the earlier result; in flight: 409; other body: 422. Claimed in the creating transaction. */
export async function checkClaim(tx: Tx, claim: IdempotencyClaim, fingerprint: string, tenant: string): Promise<WorkflowView | undefined> {
  const locked = await tx.one<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok', [`${claim.scope}\n${claim.key}`]);
  if (!locked?.ok) {
    throw new DomainError('idempotency_key_in_flight', 'a request with this Idempotency-Key is still being processed', { retryAfterSeconds: 1 });
  }
  const stored = await tx.one<{ fingerprint: string; workflow_id: string }>(
    'SELECT fingerprint, workflow_id FROM idempotency_key WHERE scope = $1 AND key = $2 AND expires_at > now()',
    [claim.scope, claim.key],
  );
  if (!stored) {
    await tx.rows('DELETE FROM idempotency_key WHERE scope = $1 AND key = $2', [claim.scope, claim.key]);
    return undefined;
  }
  if (stored.fingerprint !== fingerprint) {
    throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
  }
  const row = await tx.one<InstanceRow>('SELECT * FROM workflow_instance WHERE id = $1 AND tenant = $2', [stored.workflow_id, tenant]);
  return row ? toView(row) : undefined;
}

/** A new instance in its initial state: the effects of entering it performed, its row and first history written. */
export async function createInstance(
  ctx: TxContext,
  registry: DefinitionRegistry,
  definition: WorkflowDefinition,
  workflowId: string,
  input: unknown,
  actor: Actor,
  extra: CreateOptions,
): Promise<InstanceRow> {
  const [snapshot, actions] = initialTransition(definition.machine, input);
  const now = new Date();
  const row: InstanceRow = {
    id: workflowId,
    tenant: extra.tenant,
    type: definition.type,
    definition_version: definition.version,
    business_key: extra.businessKey,
    status: 'running',
    state_value: snapshot.value,
    state_paths: [],
    state_entered: {},
    snapshot: null,
    version: 0,
    input,
    output: null,
    error: null,
    parent_id: extra.parentId ?? null,
    parent_invocation_id: extra.parentInvocationId ?? null,
    start_fingerprint: extra.fingerprint,
    cancel_requested: false,
    open_incidents: 0,
    held_inputs: 0,
    counters: {},
    history_seq: 0,
    history_head: GENESIS_HASH,
    created_at: now,
    updated_at: now,
    ended_at: null,
  };
  const step = new Step(ctx, registry, definition, row, snapshot, true, actor, spawnChild(registry));
  step.record({
    kind: 'workflow.started',
    event: { type: 'xstate.init', input },
    stateAfter: snapshot.value,
    outcome: 'accepted',
    data: { type: definition.type, version: definition.version, parentId: row.parent_id },
  });
  await step.perform(toEngineEffects(actions, definition.machine.id));
  await step.syncTasks(null, snapshot);
  await step.finish(extra.outermost);
  row.snapshot = step.snapshot;
  row.state_value = step.snapshot.value;
  return row;
}

const spawners = new WeakMap<DefinitionRegistry, SpawnChild>();

/** How a step starts a child workflow: in the parent's transaction, with a fingerprint of where it came from. */
export function spawnChild(registry: DefinitionRegistry): SpawnChild {
  let spawn = spawners.get(registry);
  if (!spawn) {
    spawn = async (ctx, definition, workflowId, input, parent) => {
      await createInstance(ctx, registry, definition, workflowId, input, { actor: `workflow:${parent.parentId}` }, {
        fingerprint: sha256(canonicalize({ parent, input }) ?? ''),
        businessKey: null,
        tenant: parent.tenant,
        parentId: parent.parentId,
        parentInvocationId: parent.invocationId,
      });
    };
    spawners.set(registry, spawn);
  }
  return spawn;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
