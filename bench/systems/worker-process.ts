// A Statera worker process as an operator runs it: `ROLE=worker node src/main.ts` (through
// @swc-node/register, so it runs whatever src/ holds now), with the benchmark's definitions
// added by EXTRA_DEFINITIONS. Every Statera run uses these, so their numbers compare.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REDIS_URL, trackChild } from '../infra';

const ROOT = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  pid: number;
  /** Resident set size now, from /proc (bytes). */
  rss(): number;
  stop(): Promise<void>;
}

export interface WorkerLaunch {
  databaseUrl: string;
  queuePrefix: string;
  /** Extra node flags, e.g. --cpu-prof for the optimiser (`--worker-node-args`). */
  nodeArgs?: string[];
}

export async function startWorker(launch: WorkerLaunch): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = {
      ...process.env,
      ROLE: 'worker',
      NODE_ENV: 'production',
      DATABASE_URL: launch.databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: launch.queuePrefix,
      SANDBOX: 'false',
      SWAGGER: 'false',
      EXTRA_DEFINITIONS: path.join(ROOT, 'bench', 'definitions.ts'),
      NO_COLOR: '1',
      // Readiness is read from the start-up log line, so it must be logged.
      LOG_LEVEL: 'info',
      // Metrics are still collected; 0 only keeps several workers from fighting over one port.
      METRICS_PORT: '0',
  };
  // The worker connects as statera_app, as in production (the APP_DATABASE_URL default).
  delete env.APP_DATABASE_URL;
  const child = spawn(process.execPath, [...(launch.nodeArgs ?? []), '-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stderr!.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${tail.join('\n')}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (chunk.toString().includes('worker running')) {
        clearTimeout(timeout);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timeout);
      reject(new Error(`worker exited with ${code} before it was ready:\n${tail.join('\n')}`));
    });
  });
  const pid = child.pid!;
  return {
    pid,
    rss: () => rssOf(pid),
    stop: () => stopChild(child),
  };
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : NaN;
}

/** SIGTERM (the worker closes its jobs and pool), SIGKILL when it takes more than 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
