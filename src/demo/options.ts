/** What one demo run needs; the CLI reads it from the environment and argv, the tests pass it directly. */
export interface DemoOptions {
  /** The Statera REST API (STATERA_URL). */
  apiUrl: string;
  /** The sandbox partners the server's activities talk to (PARTNERS_URL): the demo scripts them and plays the bank. */
  partnersUrl: string;
  /** Multiplies the number of workflows of each type (1 = about 64 in all). */
  scale: number;
  /** How long to drive the workflows before giving up on the ones still open. */
  timeoutMs: number;
  /** Where progress and the report go; defaults to stdout. */
  write?: (text: string) => void;
  /** Overwrite the progress line with \r (an interactive terminal) rather than print one line per second. */
  interactive?: boolean;
  /** Stops the driving early (Ctrl-C); the run still restores the faults and reports. */
  signal?: AbortSignal;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const USAGE = 'usage: npm run demo -- [--scale N] [--timeout-s S]   (env: STATERA_URL, PARTNERS_URL)';

function positiveNumber(flag: string, raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag} needs a positive number, got ${raw === undefined ? 'nothing' : `"${raw}"`}. ${USAGE}`);
  }
  return value;
}

/** Accepts `--flag value` and `--flag=value`; anything else is a usage error rather than silently ignored. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions {
  let scale = 1;
  let timeoutS = 180;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--scale') scale = positiveNumber(flag, value());
    else if (flag === '--timeout-s') timeoutS = positiveNumber(flag, value());
    else if (flag === '--help' || flag === '-h') throw new UsageError(USAGE);
    else throw new UsageError(`unknown argument "${argv[i]}". ${USAGE}`);
  }
  return {
    apiUrl: (env.STATERA_URL || 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    partnersUrl: (env.PARTNERS_URL || 'http://127.0.0.1:4010').replace(/\/+$/, ''),
    scale,
    timeoutMs: Math.round(timeoutS * 1000),
  };
}
