import { bool, int, list, nullable, object, oneOfValues, optional, ref, text, timestamp } from './dsl';

/** src/audit/chain-verifier.ts `VerifyReport`. */
export const ChainVerification = object(
  {
    verified: bool(),
    instances: int('instances checked'),
    records: int('history records rehashed'),
    firstFailure: optional(
      object({
        workflowId: text(),
        seq: int(),
        reason: oneOfValues(['hash mismatch', 'broken link', 'sequence gap', 'head mismatch']),
        expected: optional(text()),
        found: optional(text()),
      }),
    ),
  },
  'The history hash chains recomputed',
);

/** src/audit/security-events.ts; a tenant's own view has no deployment-wide chain (`prevHash`, `hash`). */
export const SecurityEvent = object(
  {
    seq: int("the event's ordinal (within the tenant, in a tenant's view)"),
    recordedAt: timestamp(),
    tenant: nullable(text()),
    principal: nullable(text('`principal:<id>`; null for an unknown key')),
    keyPrefix: nullable(text()),
    clientAddress: nullable(text()),
    requestId: nullable(text()),
    method: text(),
    route: text(),
    status: int(),
    code: text(),
    reason: text(),
    prevHash: optional(text('platform admins only')),
    hash: optional(text('platform admins only')),
  },
  'A refusal that belongs to no workflow of the tenant',
);
export const SecurityEventList = object({ items: list(ref('SecurityEvent')), nextCursor: nullable(text('pass as `cursor` for the next page; null on the last page')) }, 'Security events, oldest first');
export const SecurityChainVerification = object(
  { verified: bool(), records: int(), firstFailure: optional(object({ seq: int(), reason: oneOfValues(['hash mismatch', 'broken link', 'sequence gap']) })) },
  "The security event log's chain recomputed",
);
