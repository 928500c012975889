import type { ParseArgsConfig } from 'node:util';
import type { StateraClient } from '../client';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command runs with: the client, the output streams, the clock. */
export interface Context {
  client: StateraClient;
  /** The API's URL, for messages. */
  baseUrl: string;
  /** --json: raw JSON on stdout, for scripts. */
  json: boolean;
  out(text: string): void;
  err(text: string): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The arguments after the name: `<id> <event-type> [--data JSON]`. */
  synopsis: string;
  /** Each option's line in the command's help. */
  details?: string[];
  /** The positionals, in order; every one is required. */
  positionals: string[];
  options: Options;
  /** Answers the exit code. */
  run(ctx: Context, positionals: string[], values: Values): Promise<number>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Options = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
