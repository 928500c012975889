import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { requestContext } from './loggers';
import { requestKeyPrefix, requestPrincipal } from '../auth/request-principal';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Probes and scrapes arrive every few seconds and say nothing about the workflows: not access-logged. */
const QUIET = /^\/(health(\/.*)?|metrics)$/;

/**
 * Gives every request an id (the caller's `x-request-id` when it is well formed), echoes it,
 * and runs the rest of the request inside a context, so every line logged while handling it
 * carries `requestId`.
 */
export function requestIdMiddleware() {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    requestContext.run({ requestId }, next);
  };
}

/**
 * One access line per response: method, path, status, time, request id. Never headers
 * (API keys, cookies) nor bodies (workflow input is a person's data).
 */
export function accessLogMiddleware(logger: Logger) {
  return pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    genReqId: (_req, res) => String(res.getHeader('x-request-id') ?? ''),
    customAttributeKeys: { reqId: 'requestId' },
    autoLogging: { ignore: (req) => QUIET.test((req.url ?? '').split('?')[0] ?? '') },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
    quietReqLogger: true,
    // A refused request names who was refused (PCI DSS 10.2.1.4): the principal, or the presented key's first 8 characters.
    customProps: (req, res) => (res.statusCode === 401 || res.statusCode === 403 ? refusedWho(req as Request) : {}),
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0], remoteAddress: req.remoteAddress }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

function refusedWho(req: Request): Record<string, string> {
  const principal = requestPrincipal(req);
  if (principal) return { principal: principal.id, tenant: principal.tenant };
  const keyPrefix = requestKeyPrefix(req);
  return keyPrefix ? { keyPrefix } : {};
}

/** The path without its query: a query may carry a business key. */
function pathOf(req: IncomingMessage): string {
  return ((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0] ?? '';
}
