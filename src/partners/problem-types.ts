// Kept free of express/zod imports so the client (used inside workflow activities)
// can share the catalogue without pulling the server in.

const PREFIX = 'urn:statera:sandbox:problem:';

export const PROBLEMS = {
  'validation-error': { status: 400, title: 'Request body is invalid' },
  'malformed-json': { status: 400, title: 'Request body is not valid JSON' },
  'missing-idempotency-key': { status: 400, title: 'Idempotency-Key header is required' },
  'invalid-idempotency-key': { status: 400, title: 'Idempotency-Key header is invalid' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency-Key was already used with a different request' },
  'route-not-found': { status: 404, title: 'No such route' },
  'unknown-partner': { status: 404, title: 'No such partner' },
  'not-found': { status: 404, title: 'Resource not found' },
  'payload-too-large': { status: 413, title: 'Request body is too large' },
  'insufficient-funds': { status: 422, title: 'Insufficient funds' },
  'currency-mismatch': { status: 422, title: 'Currencies do not match' },
  'same-account': { status: 422, title: 'Source and destination accounts are the same' },
  'account-exists': { status: 409, title: 'Account already exists' },
  'hold-not-active': { status: 409, title: 'Hold is not active' },
  'amount-exceeds-hold': { status: 422, title: 'Capture amount exceeds the hold' },
  'transfer-not-reversible': { status: 409, title: 'Transfer cannot be reversed' },
  'quote-expired': { status: 409, title: 'FX quote has expired' },
  'quote-already-executed': { status: 409, title: 'FX quote was already executed' },
  'quote-not-executed': { status: 409, title: 'FX quote was never executed' },
  'order-not-cancellable': { status: 409, title: 'Order cannot be cancelled' },
  'order-not-fillable': { status: 409, title: 'Order cannot receive this fill' },
  'partner-unavailable': { status: 503, title: 'Partner is unavailable' },
  'partner-timeout': { status: 504, title: 'Partner did not answer in time' },
  'internal-error': { status: 500, title: 'Internal sandbox error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemSlug = keyof typeof PROBLEMS;

export function problemType(slug: ProblemSlug): string {
  return PREFIX + slug;
}

/** Problem types synthesised by the client when no HTTP answer arrived at all. */
export const CLIENT_PROBLEM_TYPES = {
  timeout: PREFIX + 'client-timeout',
  network: PREFIX + 'network-error',
  invalidResponse: PREFIX + 'invalid-response',
} as const;

export interface FieldProblem {
  path: string;
  message: string;
  code?: string;
}

/** RFC 9457 problem details, plus `errors` for field-level validation problems. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}
