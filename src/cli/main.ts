#!/usr/bin/env node
import { runCli } from './run';

// Standard output is flushed before the exit: a pipe (`statera list --json | jq`) gets everything.
runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
}).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  () => process.exit(1),
);
