import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger, type INestApplicationContext, type LogLevel } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from '../app.module';
import { ProblemFilter, sendProblem, toProblem } from '../api/problem';
import type { AppConfig } from '../config/config';
import type { WorkflowDefinition } from '../engine/definition';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function createHttpApp(config: AppConfig, definitions: readonly WorkflowDefinition[], logLevels?: LogLevel[]): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, definitions), {
    bodyParser: false,
    logger: logLevels ?? ['log', 'warn', 'error'],
  });
  app.enableShutdownHooks();
  app.set('trust proxy', 'loopback');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.header('x-request-id');
    res.setHeader('x-request-id', given && REQUEST_ID.test(given) ? given : randomUUID());
    next();
  });
  app.useBodyParser('json', { limit: '1mb', type: ['application/json', 'application/*+json'] });
  // Body-parser errors (413, malformed JSON) happen before Nest's filters see the request.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    sendProblem(res, req, toProblem(err));
  });
  const logger = new Logger('http');
  app.useGlobalFilters(new ProblemFilter((message, fields) => logger.error(`${message} ${fields.error}`)));
  if (config.SWAGGER) {
    const doc = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Statera')
        .setDescription('Durable statechart workflows for financial processes. Errors are application/problem+json (RFC 9457).')
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer stk_…`' })
        .build(),
    );
    SwaggerModule.setup('docs', app, doc);
  }
  return app;
}

export async function createWorkerContext(config: AppConfig, definitions: readonly WorkflowDefinition[]): Promise<INestApplicationContext> {
  const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, definitions), { logger: ['log', 'warn', 'error'] });
  ctx.enableShutdownHooks();
  return ctx;
}
