import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { faultConfigSchema, scriptEntrySchema, type ScriptEntry } from './faults';
import { isPartnerName, type PartnerModule } from './partner';
import { execute, stringParams } from './pipeline';
import { makeProblem, sendJson, sendProblem, validationProblem, zodFieldProblems, type FieldProblem } from './problem';
import type { SandboxRuntime } from './runtime';

const errorBodySchema = z.strictObject({ type: z.string().optional(), title: z.string().optional(), detail: z.string().optional() });
const scriptBodySchema = z.strictObject({ script: z.array(scriptEntrySchema).max(10_000) });
const advanceSchema = z.strictObject({ ms: z.int().min(0).max(365 * 86_400_000) });

/**
 * Scripts are checked against the partner when they are set, so a typo such as
 * `{"scroe": 99}` fails the test setup loudly instead of silently not overriding anything.
 */
function scriptProblems(partner: PartnerModule, entries: readonly ScriptEntry[], base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  entries.forEach((entry, i) => {
    const at = `${base}.${i}`;
    const path = entry.match?.path;
    if (path && !(path === `/${partner.name}` || path.startsWith(`/${partner.name}/`))) {
      problems.push({ path: `${at}.match.path`, message: `must start with /${partner.name}` });
    }
    if (!entry.body) return;
    const schema = entry.outcome === 'error' ? errorBodySchema : partner.overrideSchema;
    const parsed = schema.safeParse(entry.body);
    if (!parsed.success) {
      problems.push(...zodFieldProblems(parsed.error, `${at}.body`));
    }
  });
  return problems;
}

function partnerOf(rt: SandboxRuntime, req: Request, res: Response): PartnerModule | undefined {
  const name = String(req.params.partner);
  if (isPartnerName(name)) return rt.partner(name);
  sendProblem(res, makeProblem('unknown-partner', `'${name}' is not one of ${rt.partners.map((p) => p.name).join(', ')}`));
  return undefined;
}

function parseOr400<T>(schema: z.ZodType<T>, raw: unknown, res: Response): T | undefined {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  sendProblem(res, validationProblem(parsed.error));
  return undefined;
}

/** Test-control surface: deliberately not idempotency-protected and never faulted. */
export function adminRouter(rt: SandboxRuntime): Router {
  const router = express.Router();

  router.get('/stats', (_req, res) => {
    sendJson(res, 200, { partners: rt.allStats(), idempotencyKeys: rt.idempotency.size, now: new Date(rt.now()).toISOString() });
  });

  router.post('/reset', (_req, res) => {
    rt.resetAll();
    sendJson(res, 200, { status: 'reset' });
  });

  router.post('/clock/advance', (req, res) => {
    const body = parseOr400(advanceSchema, req.body, res);
    if (body) sendJson(res, 200, { now: new Date(rt.advanceClock(body.ms)).toISOString() });
  });

  router.get('/partners/:partner/faults', (req, res) => {
    const partner = partnerOf(rt, req, res);
    if (partner) sendJson(res, 200, rt.faults(partner.name).snapshot().config);
  });

  router.put('/partners/:partner/faults', (req, res) => {
    const partner = partnerOf(rt, req, res);
    const config = partner && parseOr400(faultConfigSchema, req.body, res);
    if (!partner || !config) return;
    const problems = scriptProblems(partner, config.script, 'script');
    if (problems.length > 0) return sendProblem(res, makeProblem('validation-error', 'Invalid script', { errors: problems }));
    rt.faults(partner.name).configure(config);
    sendJson(res, 200, rt.faults(partner.name).snapshot().config);
  });

  router.delete('/partners/:partner/faults', (req, res) => {
    const partner = partnerOf(rt, req, res);
    if (!partner) return;
    rt.faults(partner.name).reset();
    sendJson(res, 200, rt.faults(partner.name).snapshot().config);
  });

  router.post('/partners/:partner/script', (req, res) => {
    const partner = partnerOf(rt, req, res);
    const body = partner && parseOr400(scriptBodySchema, req.body, res);
    if (!partner || !body) return;
    const problems = scriptProblems(partner, body.script, 'script');
    if (problems.length > 0) return sendProblem(res, makeProblem('validation-error', 'Invalid script', { errors: problems }));
    rt.faults(partner.name).append(body.script);
    sendJson(res, 200, rt.faults(partner.name).snapshot().config);
  });

  router.put('/partners/:partner/config', (req, res) => {
    const partner = partnerOf(rt, req, res);
    if (!partner) return;
    if (!partner.configSchema || !partner.configure) {
      return sendProblem(res, makeProblem('route-not-found', `Partner '${partner.name}' has no configuration`));
    }
    const config = parseOr400(partner.configSchema, req.body, res);
    if (!config) return;
    partner.configure(config);
    sendJson(res, 200, config);
  });

  for (const partner of rt.partners) {
    for (const route of partner.adminRoutes ?? []) {
      const path = `/partners/${partner.name}${route.path}`;
      const handler = (req: Request, res: Response): void => {
        const parsed = route.parse(req.body ?? {});
        if (!parsed.ok) return sendProblem(res, validationProblem(parsed.error));
        const result = execute(route, parsed.value, { params: stringParams(req.params), now: rt.now(), override: undefined });
        sendJson(res, result.status, result.body);
      };
      if (route.method === 'GET') router.get(path, handler);
      else router.post(path, handler);
    }
  }
  return router;
}
