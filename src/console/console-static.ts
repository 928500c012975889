import { existsSync } from 'node:fs';
import path from 'node:path';
import { Inject, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import { PROBLEM_BASE, sendProblem } from '../api/problem';

/** The repository root: the nearest folder with a package.json, from src/console or dist/src/console alike. */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

export const CONSOLE_DIR = path.join(repositoryRoot(__dirname), 'dist', 'console');

/** Paths that belong to the console: the page itself and its hashed assets. */
const CONSOLE_PATH = /^\/(index\.html|favicon\.svg|assets\/.*)?$/;

/** A GET or HEAD of the console's page or assets: answered without an API key. */
export function isConsoleRequest(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && CONSOLE_PATH.test(req.path);
}

/**
 * Serves the built console (`npm run build:console`) at `/`, without an API key: the page
 * holds no data, every call it makes carries the key. Registered after the controllers, so
 * /v1, /docs, /health and /metrics are never shadowed. Hashed assets are cached for a year;
 * index.html is revalidated every time, so a new build is picked up at once.
 */
export function consoleMiddleware(dir: string) {
  const files = express.static(dir, {
    index: 'index.html',
    fallthrough: true,
    setHeaders(res, file) {
      res.setHeader('cache-control', file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isConsoleRequest(req)) return next();
    // Checked per request: a console built while the server runs is served without a restart.
    if (!existsSync(path.join(dir, 'index.html'))) {
      return sendProblem(res, req, {
        type: `${PROBLEM_BASE}console-not-built`,
        title: 'The web console is not built',
        status: 503,
        detail: 'run `npm run build:console` (npm start does it), then reload',
      });
    }
    return files(req, res, next);
  };
}

export class ConsoleStatic implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    // Module init runs after Nest registers its routes and before its 404 handler.
    this.host.httpAdapter?.use(consoleMiddleware(CONSOLE_DIR));
  }
}
