import { parseArgs } from 'node:util';
import { createStateraClient } from '../client';
import { GLOBAL_OPTIONS, type Command, type Context } from './command';
import { COMMANDS } from './commands';
import { ApiError, CliError, UsageError } from './errors';
import { commandUsage, globalUsage } from './help';
import { resolveSettings } from './settings';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

function commandNamed(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Parses the command's line; a parse failure is a usage error of that command. */
function parse(command: Command, args: string[]) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command.name);
  }
}

/**
 * Runs one command line and answers its exit code. Every failure is one line on standard
 * error (with the usage, for a usage error), never a stack trace.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const named = first === 'help' && rest[0] ? commandNamed(rest[0]) : undefined;
    const text = named ? commandUsage(named) : globalUsage(COMMANDS);
    if (first === undefined) {
      io.err(text);
      return 2;
    }
    io.out(text);
    return 0;
  }
  const command = commandNamed(first);
  let json = argv.includes('--json');
  try {
    if (!command) throw new UsageError(first.startsWith('-') ? `a command comes first, then its options: ${first}` : `no command ${JSON.stringify(first)}`);
    const { values, positionals } = parse(command, rest);
    json = Boolean(values.json);
    if (values.help) {
      io.out(commandUsage(command));
      return 0;
    }
    const missing = command.positionals.slice(positionals.length);
    if (missing.length) throw new UsageError(`missing ${missing.map((m) => `<${m}>`).join(' ')}`, command.name);
    if (positionals.length > command.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[command.positionals.length])}`, command.name);
    const settings = resolveSettings({ url: values.url as string | undefined, key: values.key as string | undefined }, io.env);
    const ctx: Context = {
      client: createStateraClient({ baseUrl: settings.url, apiKey: settings.apiKey, headers: { 'User-Agent': 'statera-cli' } }),
      baseUrl: settings.url,
      json,
      out: io.out,
      err: io.err,
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    return await command.run(ctx, positionals, values);
  } catch (err) {
    if (err instanceof UsageError) {
      const named = err.command ? commandNamed(err.command) : undefined;
      io.err(`error: ${err.message}\n\n${named ? commandUsage(named) : globalUsage(COMMANDS)}`);
      return 2;
    }
    if (err instanceof ApiError) {
      if (json && err.problem) io.out(JSON.stringify(err.problem, null, 2));
      io.err(`error: ${err.message}`);
      return 1;
    }
    if (err instanceof CliError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    // A defect of the CLI itself: still one line, and what to report.
    io.err(`error: ${(err as Error)?.message ?? String(err)} (an unexpected failure of the CLI)`);
    return 1;
  }
}
