import type { Command } from './command';
import { DEFAULT_URL } from './settings';

const GLOBAL = `options of every command:
  --url URL   the API (default: STATERA_URL, the config file's "url", or ${DEFAULT_URL})
  --key KEY   an API key (default: STATERA_API_KEY, or the config file's "apiKey")
  --json      raw JSON on standard output, for scripts
  -h, --help  this help`;

export function globalUsage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `usage: statera <command> [arguments] [options]

Drives Statera workflows over its REST API.

commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

${GLOBAL}

The config file is ~/.config/statera/config.json ({"url": "…", "apiKey": "…"}), or STATERA_CONFIG.
Exit status: 0 done, 1 the API refused or failed (or a watched workflow did not complete), 2 a usage error.
\`statera <command> --help\` tells more about one command.`;
}

export function commandUsage(command: Command): string {
  const details = command.details?.length ? `\n\n${command.details.map((d) => `  ${d}`).join('\n')}` : '';
  return `usage: statera ${command.name} ${command.synopsis}\n\n${command.summary}${details}\n\n${GLOBAL}`;
}
