// The table on stdout and the Markdown file: the machine, the versions, the command, the
// date and the commit, then each scenario's table, targets and notes.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import type { BenchConfig } from './config';
import { PG_ADMIN_URL, REDIS_URL } from './infra';
import type { Section } from './section';
import { fmt } from './stats';

const ROOT = path.resolve(__dirname, '..');

export interface Environment {
  date: string;
  command: string;
  commit: string;
  machine: string;
  versions: string;
}

function packageVersion(name: string): string {
  try {
    const file = name === 'statera' ? path.join(ROOT, 'package.json') : path.join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

export async function describeEnvironment(cfg: BenchConfig): Promise<Environment> {
  const pg = new Client({ connectionString: PG_ADMIN_URL });
  await pg.connect();
  const settings = await pg
    .query(`SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'shared_buffers', 'synchronous_commit', 'max_connections', 'fsync')`)
    .finally(() => pg.end());
  const s = Object.fromEntries(settings.rows.map((r: { name: string; setting: string }) => [r.name, r.setting]));
  const redis = new Redis(REDIS_URL);
  const info = await redis.info('server').finally(() => redis.disconnect());
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  const cpus = os.cpus();
  const dirty = git(['status', '--porcelain']) !== '';
  return {
    date: new Date().toISOString(),
    command: ['npm run bench', ...(cfg.argv.length ? ['--', ...cfg.argv.map((a) => (/\s/.test(a) ? `'${a}'` : a))] : [])].join(' '),
    commit: `${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty ? ' (working tree has uncommitted changes)' : ''}`,
    machine: `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${fmt(os.totalmem() / 1024 ** 3, 1)} GiB RAM, ${os.type()} ${os.release()}`,
    versions: [
      `Node.js ${process.versions.node}`,
      `PostgreSQL ${s.server_version} (shared_buffers ${s.shared_buffers} × 8 kB, synchronous_commit ${s.synchronous_commit}, fsync ${s.fsync}, max_connections ${s.max_connections})`,
      `Redis ${redisVersion}`,
      `statera ${packageVersion('statera')}`,
      `@dbos-inc/dbos-sdk ${packageVersion('@dbos-inc/dbos-sdk')}`,
      `bullmq ${packageVersion('bullmq')}`,
      `xstate ${packageVersion('xstate')}`,
    ].join(', '),
  };
}

function markdownTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const verdict = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'met' : 'MISSED');

export function renderText(env: Environment, sections: Section[], wallSeconds: number): string {
  const out = [`Statera benchmark — ${env.date}`, `machine: ${env.machine}`, `versions: ${env.versions}`, `commit: ${env.commit}`, ''];
  for (const s of sections) {
    out.push(s.title, textTable(s.headers, s.rows));
    for (const t of s.targets) out.push(`  target: ${t.target} — ${t.measured} — ${verdict(t.met)}${t.comment ? ` (${t.comment})` : ''}`);
    out.push('');
  }
  out.push(`wall time ${fmt(wallSeconds, 0)} s — ${env.command}`);
  return out.join('\n');
}

export function renderMarkdown(env: Environment, sections: Section[], wallSeconds: number, failures: string[]): string {
  const out = [
    '# Statera benchmark results',
    '',
    `- **Command**: \`${env.command}\` (wall time ${fmt(wallSeconds, 0)} s)`,
    `- **Date**: ${env.date}`,
    `- **Commit**: ${env.commit}`,
    `- **Machine**: ${env.machine}`,
    `- **Versions**: ${env.versions}`,
    '',
    'Every competitor of a scenario ran in this one invocation, against the same PostgreSQL server and Redis, alternating per repeat; figures are medians over the repeats. Each scenario used fresh databases and queue prefixes, dropped at its end.',
    '',
  ];
  for (const s of sections) {
    out.push(`## ${s.title}`, '', markdownTable(s.headers, s.rows), '');
    if (s.targets.length) {
      out.push(markdownTable(['target', 'measured', 'verdict'], s.targets.map((t) => [t.target, t.measured + (t.comment ? ` — ${t.comment}` : ''), verdict(t.met)])), '');
    }
    for (const n of s.notes) out.push(`- ${n}`);
    out.push('');
  }
  if (failures.length) out.push('## Scenarios that did not finish', '', ...failures.map((f) => `- ${f}`), '');
  // The profiling of the hot path and what bounds each missed target: written by hand from
  // the runs it names, kept beside the generated tables so both are read together.
  const analysis = path.join(ROOT, 'bench', 'ANALYSIS.md');
  if (existsSync(analysis)) out.push(readFileSync(analysis, 'utf8').trim(), '');
  return out.join('\n');
}
