import type { Request } from 'express';
import type { Actor } from '../engine/history';

/** Who is calling, for the history. Until API keys exist every caller is `anonymous`. */
export function actorOf(req: Request): Actor {
  const requestId = (req.res?.getHeader('x-request-id') as string | undefined) ?? undefined;
  return { actor: 'anonymous', origin: { requestId, clientAddress: req.ip } };
}

export function idempotencyScope(req: Request, route: string): string {
  return `default|${actorOf(req).actor}|${route}`;
}
