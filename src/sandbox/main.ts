import { startSandbox } from './server';

// Standalone entry point: `node dist/src/sandbox/main.js`. Binds loopback only, whatever
// the environment says, because the sandbox moves "money" without any authentication.
async function main(): Promise<void> {
  const raw = process.env.SANDBOX_PORT ?? '4010';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`SANDBOX_PORT must be an integer between 0 and 65535, got '${raw}'`);
    process.exit(2);
  }
  const sandbox = await startSandbox({ port, host: '127.0.0.1' });
  console.log(`statera sandbox partners listening on ${sandbox.url}`);
  const stop = (signal: string): void => {
    console.log(`received ${signal}, closing sandbox`);
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('sandbox failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
