import type { NextFunction, Request, Response } from 'express';
import { problemOf, sendProblem } from '../api/problem';
import { isConsoleRequest } from '../console/console-static';
import { keyPrefixOf, type ApiKeyService } from './api-key.service';
import { isOpenPath } from './auth.guard';
import type { RateDecision, RateLimiter } from './rate-limiter';
import { attachKey, attachPrincipal } from './request-principal';

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;
/** Generated keys are 47 characters; STATERA_BOOTSTRAP_ADMIN_KEY at least 24. Anything else cannot be a key: no lookup. */
const PLAUSIBLE_KEY = /^[\x21-\x7e]{24,512}$/;

/** Why a request was turned away, for whoever records refusals (the security event log). */
export interface Refusal {
  status: number;
  /** The problem type's code: `unauthenticated` or `rate_limited`. */
  code: string;
  /**
   * `no_credentials`, `malformed_authorization`, `unknown_or_revoked_key` (401);
   * `key_rate_limit`, `tenant_rate_limit`, `auth_failure_rate_limit` (429).
   */
  reason: string;
  /** The first 8 characters of the key presented, when one was plausible. */
  keyPrefix?: string;
}

export interface AuthenticateOptions {
  keys: Pick<ApiKeyService, 'resolveKey'>;
  /** Absent (RATE_LIMIT=false): no limits. */
  limiter?: RateLimiter;
  /**
   * A 429 is held this long at most (never past its window's reset) before it is sent: a client
   * that retries at once, N requests at a time, then makes N requests per hold instead of
   * thousands a second, each costing the process a full request. 0 answers at once.
   */
  refusalDelayMs?: number;
  /** Awaited before a 401 or 429 is sent; its errors are logged, never the client's. */
  onRefused?: (req: Request, refusal: Refusal) => Promise<void>;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

const DETAIL = {
  no_credentials: 'send the API key as "Authorization: Bearer <api key>"',
  malformed_authorization: 'the Authorization header is not "Bearer <api key>"',
  unknown_or_revoked_key: 'the API key is unknown or revoked',
  key_rate_limit: 'this API key made more requests than its limit allows; retry after Retry-After seconds',
  tenant_rate_limit: "this tenant's keys made more requests than its limit allows; retry after Retry-After seconds",
  auth_failure_rate_limit: 'too many refused API keys from this address; retry after Retry-After seconds',
} as const;

type Reason = keyof typeof DETAIL;

/**
 * Resolves `Authorization: Bearer <api key>` before the body is read, so an unauthenticated or
 * over-limit request costs no parsing: open paths and the console's files pass; a missing,
 * malformed, unknown or revoked key is 401; a good key's principal is attached to the request
 * (the guard then checks `@Roles`), and its key's and tenant's rate limits are applied.
 */
export function authenticateMiddleware(options: AuthenticateOptions) {
  const context: Context = { ...options, held: 0 };
  return (req: Request, res: Response, next: NextFunction) => {
    authenticate(context, req, res).then((pass) => pass && next(), next);
  };
}

/** At most this many 429s held at once per process; past it they are answered at once. */
const MAX_HELD = 1_000;

type Context = AuthenticateOptions & { held: number };

async function authenticate(options: Context, req: Request, res: Response): Promise<boolean> {
  if (isOpenPath(req.path) || isConsoleRequest(req)) return true;
  const header = req.header('authorization');
  // No key at all counts against the address as a refused one does: unauthenticated requests are never free.
  if (header === undefined) return refused(options, req, res, 'no_credentials');
  const key = BEARER.exec(header)?.[1];
  if (key === undefined) return refused(options, req, res, 'malformed_authorization');
  // Unknown and revoked keys, and strings that cannot be keys, get the same answer.
  if (!PLAUSIBLE_KEY.test(key)) return refused(options, req, res, 'unknown_or_revoked_key');
  const keyPrefix = keyPrefixOf(key);
  attachKey(req, { prefix: keyPrefix });
  const resolved = await options.keys.resolveKey(key);
  if (!resolved) return refused(options, req, res, 'unknown_or_revoked_key', keyPrefix);
  attachKey(req, { prefix: keyPrefix, id: resolved.keyId });
  attachPrincipal(req, resolved.principal);
  if (!options.limiter) return true;
  const decision = await options.limiter.consumeRequest(resolved.principal, resolved.keyId);
  if (decision.allowed) {
    setRateLimitHeaders(res, decision);
    if (decision.paceMs) await new Promise((r) => setTimeout(r, decision.paceMs));
    return true;
  }
  return refuse(options, req, res, 429, decision.scope === 'tenant' ? 'tenant_rate_limit' : 'key_rate_limit', keyPrefix, decision);
}

/** A presented key was refused: 401, or 429 once the address has presented too many. */
async function refused(options: Context, req: Request, res: Response, reason: Reason, keyPrefix?: string): Promise<false> {
  if (options.limiter) {
    const decision = await options.limiter.consumeAuthFailure(clientAddress(req));
    if (!decision.allowed) return refuse(options, req, res, 429, 'auth_failure_rate_limit', keyPrefix, decision);
  }
  return refuse(options, req, res, 401, reason, keyPrefix);
}

async function refuse(options: Context, req: Request, res: Response, status: 401 | 429, reason: Reason, keyPrefix?: string, decision?: RateDecision): Promise<false> {
  const code = status === 401 ? 'unauthenticated' : 'rate_limited';
  if (decision) {
    const heldMs = await hold(options, req);
    setRateLimitHeaders(res, { ...decision, resetMs: decision.resetMs - heldMs });
  }
  if (options.onRefused) {
    try {
      await options.onRefused(req, { status, code, reason, ...(keyPrefix ? { keyPrefix } : {}) });
    } catch (err) {
      options.log?.('recording a refusal failed', { error: (err as Error)?.stack ?? String(err) });
    }
  }
  if (status === 401) {
    // RFC 6750 §3: no error code when no credentials were sent, invalid_token when they were refused.
    res.setHeader('WWW-Authenticate', req.header('authorization') !== undefined ? 'Bearer realm="statera", error="invalid_token"' : 'Bearer realm="statera"');
  }
  sendProblem(res, req, problemOf(code, DETAIL[reason]));
  return false;
}

/** Waits before a 429 (see `refusalDelayMs`); how long it waited. */
async function hold(options: Context, req: Request): Promise<number> {
  // Jittered, and not tied to the window's reset: refusals released together would come back
  // together, a herd of allowed requests at each window's start.
  const ms = Math.round((options.refusalDelayMs ?? 0) * (0.5 + Math.random() / 2));
  if (ms <= 0 || options.held >= MAX_HELD) return 0;
  options.held++;
  const started = Date.now();
  try {
    await new Promise<void>((resolve) => {
      // A client that gives up frees its place at once.
      const done = () => {
        clearTimeout(timer);
        req.socket.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      req.socket.once('close', done);
    });
  } finally {
    options.held--;
  }
  return Date.now() - started;
}

/** draft-ietf-httpapi-ratelimit-headers: the limit, what is left of it, seconds until the window resets. */
function setRateLimitHeaders(res: Response, decision: RateDecision): void {
  const resetS = Math.max(1, Math.ceil(decision.resetMs / 1000));
  res.setHeader('RateLimit-Limit', String(decision.limit));
  res.setHeader('RateLimit-Remaining', String(decision.remaining));
  res.setHeader('RateLimit-Reset', String(resetS));
  if (!decision.allowed) res.setHeader('Retry-After', String(resetS));
}

/** `trust proxy` is loopback: a proxy on this host may name the client; no one else can. */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
