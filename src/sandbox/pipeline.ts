import express, { type Express, type Request, type Response } from 'express';
import type { FaultDecision } from './faults';
import { fingerprint } from './random';
import { makeProblem, ProblemError, sendJson, sendProblem, validationProblem } from './problem';
import type { HandlerContext, HandlerResult, PartnerModule, Route } from './partner';
import type { SandboxRuntime } from './runtime';

const MAX_KEY_LENGTH = 255;

export function mountPartner(app: Express, rt: SandboxRuntime, partner: PartnerModule): void {
  const router = express.Router();
  for (const route of partner.routes) {
    const scope = `${partner.name} ${route.method} /${partner.name}${route.path}`;
    const handler = (req: Request, res: Response): Promise<void> => runRoute(rt, partner, route, scope, req, res);
    if (route.method === 'GET') router.get(route.path, handler);
    else router.post(route.path, handler);
  }
  app.use(`/${partner.name}`, router);
}

/** Wildcard params are arrays in express 5; the sandbox only uses named single segments. */
export function stringParams(params: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : v]));
}

/** Business refusals become ordinary (storable) results; anything else is a sandbox bug. */
export function execute(route: Pick<Route, 'handle'>, body: unknown, ctx: HandlerContext): HandlerResult {
  try {
    return route.handle(body, ctx);
  } catch (err) {
    if (err instanceof ProblemError) return { status: err.problem.status, body: err.problem };
    throw err;
  }
}

/**
 * Order matters: edge validation happens before a scripted outcome is consumed (a malformed
 * request must not eat "the bank times out twice"), and the fault is decided before the
 * idempotency lookup because a retry can be lost on the wire just like the first attempt.
 */
async function runRoute(
  rt: SandboxRuntime,
  partner: PartnerModule,
  route: Route,
  scope: string,
  req: Request,
  res: Response,
): Promise<void> {
  const stats = rt.stats(partner.name);
  stats.received++;
  const mutating = route.method === 'POST';
  const key = req.get('Idempotency-Key');
  if (mutating && !key) {
    stats.invalid++;
    return sendProblem(res, makeProblem('missing-idempotency-key', `${req.method} ${req.originalUrl} is a mutation`));
  }
  if (mutating && key && (key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key))) {
    stats.invalid++;
    return sendProblem(res, makeProblem('invalid-idempotency-key', `1..${MAX_KEY_LENGTH} visible ASCII characters`));
  }
  const raw: unknown = req.body ?? {};
  const parsed = route.parse(raw);
  if (!parsed.ok) {
    stats.invalid++;
    return sendProblem(res, validationProblem(parsed.error));
  }

  const path = req.originalUrl.split('?')[0];
  const decision: FaultDecision = route.faults ? rt.faults(partner.name).decide(req.method, path, key ?? req.get('X-Correlation-Key')) : { outcome: 'ok', latencyMs: 0 };
  if (decision.latencyMs > 0) {
    await rt.wait(decision.latencyMs, res);
    if (res.destroyed || rt.isShuttingDown) return;
  }
  if (decision.outcome === 'error') {
    stats.injectedErrors++;
    const injected = makeProblem(decision.status === 504 ? 'partner-timeout' : 'partner-unavailable', 'Injected fault');
    return sendProblem(res, { ...injected, ...decision.problem, status: decision.status });
  }
  if (decision.outcome === 'timeout' && !decision.applied) {
    stats.injectedTimeouts++;
    return hang(rt, req, res, decision);
  }

  const ctx: HandlerContext = { params: stringParams(req.params), now: rt.now(), override: decision.override };
  let result: HandlerResult;
  let replayed = false;
  if (mutating && key) {
    const fp = fingerprint({ params: ctx.params, body: raw });
    const found = rt.idempotency.lookup(scope, key, fp);
    if (found.kind === 'mismatch') {
      stats.idempotencyConflicts++;
      result = { status: 422, body: makeProblem('idempotency-key-reused', `Key '${key}' was first used with another body`) };
    } else if (found.kind === 'replay') {
      stats.replays++;
      replayed = true;
      result = { status: found.response.status, body: found.response.body };
    } else {
      result = execute(route, parsed.value, ctx);
      rt.idempotency.save(scope, key, { status: result.status, body: result.body, fingerprint: fp, storedAt: ctx.now });
      if (result.status < 300) stats.effectsApplied++;
      else stats.rejected++;
    }
  } else {
    result = execute(route, parsed.value, ctx);
  }

  if (decision.outcome === 'timeout') {
    stats.injectedTimeouts++;
    return hang(rt, req, res, decision);
  }
  if (key) res.set('Idempotency-Key', key);
  if (replayed) res.set('Idempotent-Replayed', 'true');
  sendJson(res, result.status, result.body);
}

async function hang(
  rt: SandboxRuntime,
  req: Request,
  res: Response,
  decision: Extract<FaultDecision, { outcome: 'timeout' }>,
): Promise<void> {
  await rt.wait(decision.hangMs, res);
  if (res.destroyed || res.headersSent) return;
  if (decision.mode === '504' && !rt.isShuttingDown) {
    return sendProblem(res, makeProblem('partner-timeout', 'Injected timeout'));
  }
  req.socket.destroy();
}
