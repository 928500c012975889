import type { WorkflowOutcome, WorkflowStatus } from '../decider/snapshot';
import { publicId } from './tenancy';

/** A `workflow_instance` row as the engine reads it. */
export interface InstanceRow {
  id: string;
  tenant: string;
  type: string;
  definition_version: number;
  business_key: string | null;
  status: WorkflowStatus;
  state_value: unknown;
  /** Every active state as a dotted path, ancestors included. */
  state_paths: string[];
  /** When each active state was entered: path → ISO time. */
  state_entered: Record<string, string>;
  snapshot: any;
  version: number;
  input: unknown;
  output: unknown;
  error: unknown;
  parent_id: string | null;
  parent_invocation_id: string | null;
  start_fingerprint: string;
  cancel_requested: boolean;
  /** Open incidents: while any blocks, inputs are held (held_input). */
  open_incidents: number;
  /** Inputs held and not yet applied: new ones queue behind them. */
  held_inputs: number;
  counters: Record<string, number>;
  history_seq: number;
  history_head: string;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
  pruned_at?: Date | null;
  /** Set by the transaction that ends the workflow (see outcomeOf). */
  outcome?: WorkflowOutcome | null;
}

/** What the API shows of an instance. */
export interface WorkflowView {
  /** The tenant's own id (never the stored, tenant-qualified one). */
  id: string;
  tenant: string;
  type: string;
  definitionVersion: number;
  businessKey: string | null;
  status: WorkflowStatus;
  /** The business outcome once ended (success, rejection, failure, cancelled); null while live. */
  outcome: WorkflowOutcome | null;
  state: unknown;
  context: unknown;
  input: unknown;
  output: unknown;
  error: unknown;
  version: number;
  parentId: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  /** When retention emptied its context, input and output (its history stays): null until then. */
  prunedAt: string | null;
}

export function toView(row: InstanceRow): WorkflowView {
  return {
    id: publicId(row.id),
    tenant: row.tenant,
    type: row.type,
    definitionVersion: row.definition_version,
    businessKey: row.business_key,
    status: row.status,
    outcome: row.outcome ?? null,
    state: row.state_value,
    context: row.snapshot?.context ?? null,
    input: row.input,
    output: row.output ?? null,
    error: row.error ?? null,
    version: row.version,
    parentId: publicId(row.parent_id),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    endedAt: row.ended_at ? new Date(row.ended_at).toISOString() : null,
    prunedAt: row.pruned_at ? new Date(row.pruned_at).toISOString() : null,
  };
}

export function serializeError(err: unknown): { name: string; message: string; details?: unknown } {
  if (err instanceof Error) {
    const details = (err as { details?: unknown }).details;
    return details === undefined ? { name: err.name, message: err.message } : { name: err.name, message: err.message, details };
  }
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { name?: unknown; message: unknown };
    return { name: String(e.name ?? 'Error'), message: String(e.message) };
  }
  return { name: 'Error', message: String(err) };
}
