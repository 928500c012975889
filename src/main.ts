import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from './config/config';
import { createHttpApp, createWorkerContext } from './bootstrap/create-app';
import { loadDefinitions, loadExtraDefinitions, mergeProcessConfigs, parseProcessConfig } from './bootstrap/definitions';
import { SANDBOX_TIMINGS } from '../machines';
import { preflight, preflightWaiting, PreflightError } from './bootstrap/preflight';
import { DomainError } from './engine/errors/domain.error';
import { startSandbox } from './sandbox/server';
import { SandboxClient } from './sandbox/client';
import { seedDemoAccounts } from '../machines/shared/demo-accounts';
import { loggersFor } from './observability/loggers';
import { PinoNestLogger } from './observability/nest-logger';
import { startTracing } from './observability/tracing';

async function main(): Promise<void> {
  const config = loadConfig();
  config.LOG_LEVEL ??= 'info';
  // Before anything logs or starts a span: JSON lines from the first one, traces when OTLP is configured.
  Logger.overrideLogger(new PinoNestLogger(loggersFor(config).app));
  const tracing = startTracing(config);
  const processConfigs = mergeProcessConfigs(config.SANDBOX ? SANDBOX_TIMINGS : {}, parseProcessConfig(config.PROCESS_CONFIG));
  const logger = new Logger('statera');
  // A worker waits out an outage (an orchestrator starts it whenever); `npm start` says what is missing and exits.
  const { createdDatabase } = config.ROLE === 'worker' ? await preflightWaiting(config, (m) => logger.warn(m)) : await preflight(config);
  const definitions = [...loadDefinitions(config.PARTNERS_URL, processConfigs), ...(await loadExtraDefinitions(config.EXTRA_DEFINITIONS))];
  if (tracing) logger.log('exporting traces over OTLP/HTTP');
  if (createdDatabase) logger.log(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
  if (Object.keys(processConfigs).length) logger.log(`process configuration overrides: ${JSON.stringify(processConfigs)}`);
  if (config.ROLE === 'worker') {
    await createWorkerContext(config, definitions);
    logger.log(`worker running (queue prefix ${config.QUEUE_PREFIX}, ${definitions.length} definitions)`);
    return;
  }
  if (config.SANDBOX) {
    const sandbox = await startSandbox({ port: config.SANDBOX_PORT }).catch((err: Error) => {
      throw new PreflightError(`the sandbox partners cannot listen on 127.0.0.1:${config.SANDBOX_PORT} (${err.message}); set SANDBOX_PORT, or SANDBOX=false with PARTNERS_URL`);
    });
    await seedDemoAccounts(new SandboxClient({ baseUrl: sandbox.url }));
    logger.log(`sandbox partners at ${sandbox.url} with the demo accounts open (SANDBOX=false to use PARTNERS_URL=${config.PARTNERS_URL} instead)`);
  }
  const app = await createHttpApp(config, definitions);
  await app.listen(config.PORT, config.HOST).catch(async (err: NodeJS.ErrnoException) => {
    await app.close().catch(() => undefined);
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
      throw new PreflightError(`cannot listen on ${config.HOST}:${config.PORT} (${err.code === 'EADDRINUSE' ? 'the port is in use' : 'not allowed'}); set PORT to a free port`);
    }
    throw err;
  });
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  logger.log(`ROLE=${config.ROLE} listening on ${url} — console at ${url}/, API docs at ${url}/docs`);
}

main().catch((err: unknown) => {
  // One clear line for what an operator can fix; the stack only for what they cannot.
  const oneLine = err instanceof PreflightError || (err instanceof DomainError && err.code === 'definition_invalid') || (err as Error)?.message?.startsWith('invalid configuration');
  const message = oneLine ? (err as Error).message : (err as Error)?.stack ?? String(err);
  process.stderr.write(`statera: ${message}\n`);
  process.exit(1);
});
