import { z } from 'zod';
import { DomainError } from '../engine/errors/domain.error';
import { INCIDENT_KINDS } from '../engine/loop/incidents';
import { WORKFLOW_OUTCOMES, WORKFLOW_STATUSES, type WorkflowOutcome, type WorkflowStatus } from '../engine/decider/snapshot';

/** Parses with zod; failures become a 400 listing each field at fault. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix?: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const field = (path: readonly PropertyKey[]) => [prefix, ...path.map((k) => printable(String(k)))].filter(Boolean).join('.') || '(body)';
  throw new DomainError('validation_failed', 'the request does not match its schema', {
    // An undeclared key is named as its own field, cut like the input guard's, and never echoed in a message.
    errors: parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ field: field([...i.path, k]), message: 'not declared' })) : [{ field: field(i.path), message: i.message }],
    ),
  });
}

/** A key as a field name: at most 64 characters. */
function printable(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

export const workflowIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" and "-", at most 128, starting with a letter or digit');

/** Any instance's id in a path: a client's id, or a child's `<parent>:<invokeId>:<n>`. */
export const instanceIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,1023}$/, 'not a workflow id');

export const startWorkflowSchema = z.strictObject({
  type: z.string().min(1),
  version: z.number().int().positive().optional(),
  workflowId: workflowIdSchema.optional(),
  businessKey: z.string().min(1).max(200).optional(),
  input: z.unknown().refine((v) => v !== undefined, 'input is required'),
});

/** An event type is a name (`review.approved`), never free text: it is echoed in refusals and recorded in the history. */
export const eventSchema = z.looseObject({
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9._:-]{0,199}$/, 'a dotted event name: letters, digits, ".", "_", ":" and "-", at most 200, starting with a letter'),
});

export const cancelSchema = z.strictObject({ reason: z.string().max(1000).optional() }).optional();

const queryFlag = z.enum(['true', 'false'], { message: 'true or false' }).transform((v) => v === 'true');
/**
 * An ISO 8601 timestamp PostgreSQL reads: the format allows year 0000 and offsets up to ±23:59,
 * but timestamptz takes neither (its offsets stop at ±15:59).
 */
export const queryTimestamp = z.iso
  .datetime({ offset: true, message: 'an ISO 8601 timestamp with a time zone, e.g. 2026-01-31T09:00:00Z' })
  .refine((v) => !v.startsWith('0000'), 'a year from 0001 to 9999')
  .refine((v) => {
    const offset = /([+-])(\d{2}):?(\d{2})$/.exec(v);
    return !offset || Number(offset[2]) <= 15;
  }, 'a time zone offset within ±15:59');

export const listQuerySchema = z.strictObject({
  type: z.string().optional(),
  status: z.enum(WORKFLOW_STATUSES as [WorkflowStatus, ...WorkflowStatus[]]).optional(),
  /** The business outcome of ended instances. */
  outcome: z.enum(WORKFLOW_OUTCOMES as [WorkflowOutcome, ...WorkflowOutcome[]]).optional(),
  state: z.string().optional(),
  businessKey: z.string().optional(),
  /** Past a state's SLA now. */
  overdue: queryFlag.optional(),
  /** An activity still retrying after ACTIVITY_RETRY_ALERT_MS. */
  retrying: queryFlag.optional(),
  /** An open incident (true), or none (false). */
  hasIncident: queryFlag.optional(),
  createdAfter: queryTimestamp.optional(),
  createdBefore: queryTimestamp.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

export const idempotencyKeySchema = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Control characters and bidirectional overrides: a reason is read by people, in an audit trail. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Why an operator acts: 1-1000 printable characters (newlines and tabs allowed). */
export const operatorReason = z
  .string()
  .trim()
  .min(1, 'required: say why')
  .max(1000)
  .refine((v) => !UNPRINTABLE.test(v), 'no control characters or bidirectional overrides');

/** Every operator action says why: the reason goes into the history with the principal. */
export const reasonSchema = z.strictObject({ reason: operatorReason });

export const incidentListSchema = z.strictObject({
  type: z.string().optional(),
  workflowId: z.string().max(1024).optional(),
  kind: z.enum(INCIDENT_KINDS).optional(),
  status: z.enum(['open', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

export const uuidSchema = z.uuid({ message: 'a UUID' });

/** The workflow list's filters, as a batch operation selects by them (no paging). */
const filterText = z.string().min(1, 'empty: leave the filter out instead').max(200);
export const batchFilterSchema = listQuerySchema.omit({ limit: true, cursor: true }).extend({
  // An empty value must not widen a batch to every workflow of the tenant.
  type: filterText.optional(),
  state: filterText.optional(),
  businessKey: filterText.optional(),
  overdue: z.boolean().optional(),
  retrying: z.boolean().optional(),
  hasIncident: z.boolean().optional(),
});

export const BATCH_ACTIONS = ['retry', 'resolve', 'pause', 'resume', 'terminate', 'cancel', 'migrate'] as const;

/** What a migration asks, for one workflow or a batch: the version, optionally a state mapping and a context patch. */
export const migrationSchema = z.strictObject({
  toVersion: z.number().int().positive(),
  stateMapping: z.record(z.string().min(1).max(500), z.string().min(1).max(500)).optional(),
  contextPatch: z.record(z.string(), z.unknown()).optional(),
});

export const batchRequestSchema = z
  .strictObject({
    action: z.enum(BATCH_ACTIONS),
    filter: batchFilterSchema,
    reason: operatorReason,
    migration: migrationSchema.optional(),
    dryRun: z.boolean().default(false),
  })
  .superRefine((b, ctx) => {
    if (b.action === 'migrate' && !b.migration) ctx.addIssue({ code: 'custom', path: ['migration'], message: 'required for migrate: {toVersion, stateMapping?, contextPatch?}' });
    if (b.action !== 'migrate' && b.migration) ctx.addIssue({ code: 'custom', path: ['migration'], message: 'only for migrate' });
  });

export const batchItemsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().regex(/^[1-9][0-9]{0,8}$/, 'the nextItemsCursor of the previous page').transform(Number).optional(),
  outcome: z.enum(['pending', 'done', 'skipped', 'failed']).optional(),
});

export const approvalDecisionSchema = z.strictObject({ reason: operatorReason.optional() }).optional();

/** An optional JSON object body: absent (or `{}`) is none; anything else is parsed, so `[]` is refused, not ignored. */
export function optionalBody(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return undefined;
  return body;
}

/**
 * A POST of an operator action reads its body only: a query parameter (`?dryRun=true`) is
 * refused rather than silently ignored. (`tenant` is the tenant guard's, which refuses it on writes.)
 */
export function refuseQuery(query: Record<string, unknown>): void {
  const extra = Object.keys(query ?? {}).filter((k) => k !== 'tenant');
  if (extra.length > 0) {
    throw new DomainError('validation_failed', 'this route reads its body, not query parameters', { errors: extra.slice(0, 10).map((k) => ({ field: printable(k), message: 'not read here: send it in the body' })) });
  }
}

export const approvalListSchema = z.strictObject({
  status: z.enum(['pending', 'approved', 'rejected', 'expired']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
