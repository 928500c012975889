import type { z } from 'zod';

import { PARTNER_NAMES, type PartnerName } from '../partners/types';

export { PARTNER_NAMES, type PartnerName };

export function isPartnerName(name: string): name is PartnerName {
  return (PARTNER_NAMES as readonly string[]).includes(name);
}

export interface HandlerContext {
  params: Record<string, string>;
  /** Sandbox clock (can be advanced through the admin API), epoch milliseconds. */
  now: number;
  /** Scripted response override, already validated against the partner's overrideSchema. */
  override: Record<string, unknown> | undefined;
}

export interface HandlerResult {
  status: number;
  body: unknown;
}

export const ok = (body: unknown): HandlerResult => ({ status: 200, body });
export const created = (body: unknown): HandlerResult => ({ status: 201, body });

export type ParseResult = { ok: true; value: unknown } | { ok: false; error: z.ZodError };

/** A route with its body type erased, so heterogeneous routes fit one list. */
export interface Route {
  method: 'GET' | 'POST';
  /** Relative to the partner prefix, express syntax (`/holds/:id/release`). */
  path: string;
  /** Audit endpoints opt out so invariants can still be read while faults are on. */
  faults: boolean;
  parse(raw: unknown): ParseResult;
  handle(body: unknown, ctx: HandlerContext): HandlerResult;
}

export interface AdminRoute {
  method: 'GET' | 'POST';
  /** Mounted under /admin/partners/{partner}. */
  path: string;
  parse(raw: unknown): ParseResult;
  handle(body: unknown, ctx: HandlerContext): HandlerResult;
}

export interface PartnerModule {
  name: PartnerName;
  routes: Route[];
  adminRoutes?: AdminRoute[];
  /** Shape of `body` accepted in scripted ok/timeout outcomes; checked when the script is set. */
  overrideSchema: z.ZodType<Record<string, unknown>>;
  configSchema?: z.ZodType<Record<string, unknown>>;
  configure?(config: Record<string, unknown>): void;
  reset(): void;
}

function parser<B>(schema: z.ZodType<B>): (raw: unknown) => ParseResult {
  return (raw) => {
    const result = schema.safeParse(raw);
    return result.success ? { ok: true, value: result.data } : { ok: false, error: result.error };
  };
}

export function post<B>(
  path: string,
  schema: z.ZodType<B>,
  handle: (body: B, ctx: HandlerContext) => HandlerResult,
): Route {
  return { method: 'POST', path, faults: true, parse: parser(schema), handle: (b, ctx) => handle(b as B, ctx) };
}

export function get(path: string, handle: (ctx: HandlerContext) => HandlerResult, opts: { faults?: boolean } = {}): Route {
  return {
    method: 'GET',
    path,
    faults: opts.faults ?? true,
    parse: (raw) => ({ ok: true, value: raw }),
    handle: (_b, ctx) => handle(ctx),
  };
}

export function adminPost<B>(
  path: string,
  schema: z.ZodType<B>,
  handle: (body: B, ctx: HandlerContext) => HandlerResult,
): AdminRoute {
  return { method: 'POST', path, parse: parser(schema), handle: (b, ctx) => handle(b as B, ctx) };
}

/** Sequential ids keep runs reproducible (same script → same ids), unlike random UUIDs. */
export class IdSequence {
  private counters = new Map<string, number>();
  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}_${String(n).padStart(6, '0')}`;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
