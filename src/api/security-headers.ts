import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

/**
 * One policy for everything served: the API's JSON, the console (scripts and styles from
 * 'self', diagrams shown from blob: URLs, the compliance report in a srcdoc frame, which
 * inherits this policy), the report itself (an inline <style>, inline SVG) and Swagger UI (an
 * inline <style>, data: icons). Inline styles are allowed; inline scripts never are.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'none'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
};

/** helmet's headers with this policy, no Referer, no framing; `Cache-Control: no-store` on every /v1 answer. */
export function securityHeadersMiddleware() {
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    // Workflow data, keys and problems are never for a shared or browser cache; a handler may still say otherwise.
    // Case-insensitive, as Express routes: /V1/workflows is the same route.
    const path = req.path.toLowerCase();
    if (path === '/v1' || path.startsWith('/v1/')) res.setHeader('Cache-Control', 'no-store');
    headers(req, res, next);
  };
}
