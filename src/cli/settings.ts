import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UsageError } from './errors';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface Settings {
  url: string;
  apiKey: string;
}

/** The config file: STATERA_CONFIG, else ~/.config/statera/config.json. */
export function configPath(env: NodeJS.ProcessEnv): string {
  return env.STATERA_CONFIG || path.join(homedir(), '.config', 'statera', 'config.json');
}

function readConfigFile(file: string, required: boolean): { url?: string; apiKey?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw new UsageError(`cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`the config file ${file} is not JSON: it holds {"url": "…", "apiKey": "…"}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`the config file ${file} must hold an object {"url": "…", "apiKey": "…"}`);
  const { url, apiKey } = parsed as Record<string, unknown>;
  if ((url !== undefined && typeof url !== 'string') || (apiKey !== undefined && typeof apiKey !== 'string')) {
    throw new UsageError(`the config file ${file}: "url" and "apiKey" are strings`);
  }
  return { url, apiKey };
}

/**
 * Where the API is and the key to present: --url/--key, else STATERA_URL/STATERA_API_KEY,
 * else the config file, else the local default URL. A key is required.
 */
export function resolveSettings(flags: { url?: string; key?: string }, env: NodeJS.ProcessEnv): Settings {
  const file = configPath(env);
  const needsFile = !(flags.url || env.STATERA_URL) || !(flags.key || env.STATERA_API_KEY);
  const fromFile = needsFile ? readConfigFile(file, Boolean(env.STATERA_CONFIG)) : {};
  const url = flags.url || env.STATERA_URL || fromFile.url || DEFAULT_URL;
  const apiKey = flags.key || env.STATERA_API_KEY || fromFile.apiKey;
  if (!apiKey) throw new UsageError(`no API key: pass --key, set STATERA_API_KEY, or put {"apiKey": "stk_…"} in ${file}`);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`the API URL ${JSON.stringify(url)} is not an http(s) URL`);
  }
  return { url, apiKey };
}
