import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { adminRouter } from './admin';
import { createBankPartner, type BankOptions } from './bank.partner';
import { createBrokerPartner } from './broker.partner';
import { createCreditPartner } from './credit.partner';
import { createFraudPartner } from './fraud.partner';
import { createFxPartner, type FxOptions } from './fx.partner';
import { createKycPartner } from './kyc.partner';
import { mountPartner } from './pipeline';
import { makeProblem, sendProblem } from './problem';
import { SandboxRuntime } from './runtime';
import { createSanctionsPartner } from './sanctions.partner';

export interface SandboxOptions {
  /** Base clock, epoch ms (default Date.now); the admin API can advance it further. */
  clock?: () => number;
  bank?: BankOptions;
  fx?: FxOptions;
  /** Largest accepted JSON body (default '256kb'). */
  bodyLimit?: string;
}

export interface SandboxInstance {
  app: Express;
  runtime: SandboxRuntime;
}

function bodyParserError(err: unknown): { type?: string } {
  return typeof err === 'object' && err !== null ? (err as { type?: string }) : {};
}

export function buildSandbox(options: SandboxOptions = {}): SandboxInstance {
  const partners = [
    createBankPartner(options.bank),
    createFxPartner(options.fx),
    createFraudPartner(),
    createKycPartner(),
    createSanctionsPartner(),
    createCreditPartner(),
    createBrokerPartner(),
  ];
  const runtime = new SandboxRuntime(options.clock ?? Date.now, partners);
  const app = express();
  app.disable('x-powered-by');
  // A replay must be byte-identical to the first answer; ETag/304 handling would get in the way.
  app.set('etag', false);
  app.use(express.json({ limit: options.bodyLimit ?? '256kb', type: ['application/json', 'application/*+json'] }));
  app.use('/admin', adminRouter(runtime));
  for (const partner of partners) mountPartner(app, runtime, partner);

  app.use((req: Request, res: Response) => {
    sendProblem(res, makeProblem('route-not-found', `${req.method} ${req.path} does not exist`));
  });
  // Four parameters are how express recognises an error handler.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const kind = bodyParserError(err).type;
    if (kind === 'entity.parse.failed') return sendProblem(res, makeProblem('malformed-json'));
    if (kind === 'entity.too.large') return sendProblem(res, makeProblem('payload-too-large'));
    if (kind === 'encoding.unsupported' || kind === 'charset.unsupported') {
      return sendProblem(res, makeProblem('validation-error', 'Unsupported body encoding'));
    }
    // Never leak a stack trace: the detail is generic on purpose.
    sendProblem(res, makeProblem('internal-error', 'The sandbox failed to handle this request'));
  });
  return { app, runtime };
}

export function createSandboxApp(options: SandboxOptions = {}): Express {
  return buildSandbox(options).app;
}
