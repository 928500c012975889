import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEV_KEYS_FILE, type DevKeysFile } from '../auth/bootstrap-principals';

/** What one demo run needs; the CLI reads it from the environment and argv, the tests pass it directly. */
export interface DemoOptions {
  /** The Statera REST API (STATERA_URL). */
  apiUrl: string;
  /** An operator's API key (STATERA_API_KEY, else the development operator's from .statera/dev-keys.json). */
  apiKey: string;
  /** Reviewers' keys, tried in turn for each human task (the four-eyes rule wants more than one). */
  reviewerKeys: string[];
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

/** No API key to call Statera with: the message says how to get one. */
export class MissingApiKeyError extends Error {
  override readonly name = 'MissingApiKeyError';
}

const USAGE = 'usage: npm run demo -- [--scale N] [--timeout-s S]   (env: STATERA_URL or PORT, STATERA_API_KEY, PARTNERS_URL or SANDBOX_PORT)';

function positiveNumber(flag: string, raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag} needs a positive number, got ${raw === undefined ? 'nothing' : `"${raw}"`}. ${USAGE}`);
  }
  return value;
}

/** STATERA_REVIEWER_KEYS (comma-separated), else the development reviewers' keys; none is allowed (tasks then wait). */
export function resolveReviewerKeys(env: NodeJS.ProcessEnv, devKeysFile = path.resolve(DEV_KEYS_FILE)): string[] {
  if (env.STATERA_REVIEWER_KEYS?.trim()) return env.STATERA_REVIEWER_KEYS.split(',').map((k) => k.trim()).filter(Boolean);
  try {
    const saved = JSON.parse(readFileSync(devKeysFile, 'utf8')) as DevKeysFile;
    return (saved.principals ?? []).filter((p) => p.roles?.includes('reviewer') && typeof p.key === 'string').map((p) => p.key);
  } catch {
    return [];
  }
}

/**
 * STATERA_API_KEY, else the operator key the development server wrote on its first start
 * (`npm start` with SANDBOX=true on an empty database), else an error saying how to get one.
 */
export function resolveApiKey(env: NodeJS.ProcessEnv, devKeysFile = path.resolve(DEV_KEYS_FILE)): string {
  if (env.STATERA_API_KEY?.trim()) return env.STATERA_API_KEY.trim();
  let why: string;
  try {
    const saved = JSON.parse(readFileSync(devKeysFile, 'utf8')) as DevKeysFile;
    const operator = saved.principals?.find((p) => p.roles?.includes('operator') && typeof p.key === 'string');
    if (operator) return operator.key;
    why = `${devKeysFile} names no operator`;
  } catch (err) {
    why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no ${devKeysFile}` : `${devKeysFile} is unreadable (${(err as Error).message})`;
  }
  throw new MissingApiKeyError(
    `no API key (${why}): set STATERA_API_KEY to an operator's key (an admin creates one with POST /v1/admin/api-keys), or run \`npm start\` in development on a fresh database, which writes ${DEV_KEYS_FILE}`,
  );
}

/** Accepts `--flag value` and `--flag=value`; anything else is a usage error rather than silently ignored. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, devKeysFile?: string): DemoOptions {
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
    // The same variables `npm start` reads, so a server started on other ports is found as it was started.
    apiUrl: (env.STATERA_URL || `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/+$/, ''),
    apiKey: resolveApiKey(env, devKeysFile),
    reviewerKeys: resolveReviewerKeys(env, devKeysFile),
    partnersUrl: (env.PARTNERS_URL || `http://127.0.0.1:${env.SANDBOX_PORT || 4010}`).replace(/\/+$/, ''),
    scale,
    timeoutMs: Math.round(timeoutS * 1000),
  };
}
