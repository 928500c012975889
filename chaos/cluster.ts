import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';

/**
 * The chaos run's own services and processes: a PostgreSQL cluster (initdb in the run's
 * folder), a Redis, the sandbox partners, one API and two workers. Nothing here touches a
 * service it did not start; every process is ended by its own PID.
 */

const ROOT = path.join(__dirname, '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true, or throws after `timeoutMs` with `what` in the message. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (Debian: apt-get install postgresql)');
  return path.join(base, readdirSync(base).sort((a, b) => Number(a) - Number(b)).pop()!, 'bin');
}

function redisBin(): string {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(candidate)) return candidate;
  throw new Error('redis-server not found (Debian: apt-get install redis-server)');
}

/** A PostgreSQL cluster of the run's own; initdb and pg_ctl run as `postgres` when we are root, as they require. */
export class PrivatePostgres {
  readonly bin = postgresBin();
  readonly dir: string;
  port = 0;

  constructor(runDir: string) {
    this.dir = path.join(runDir, 'pgdata');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/statera_chaos`;
  }

  private run(tool: string, args: string[]): void {
    const argv = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path.join(this.bin, tool), ...args]] : [path.join(this.bin, tool), args];
    try {
      execFileSync(argv[0] as string, argv[1] as string[], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`${tool} ${args.at(-1)} failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? ''} (log: ${path.join(this.dir, 'log')})`, { cause: err });
    }
  }

  async init(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(path.dirname(this.dir), uid, gid);
      chownSync(this.dir, uid, gid);
    }
    this.port = await freePort();
    this.run('initdb', ['-D', this.dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    this.start();
  }

  /**
   * fsync is off: every fault here is a process crash (`-m immediate`), after which what the
   * server wrote is still in the kernel's cache. A power loss is not one of the faults.
   */
  start(): void {
    this.run('pg_ctl', ['-D', this.dir, '-l', path.join(this.dir, 'log'), '-w', '-t', '60', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  }

  /** The crash: no checkpoint, no goodbye to the clients; the next start replays the WAL. */
  stopImmediate(): void {
    this.run('pg_ctl', ['-D', this.dir, '-m', 'immediate', '-w', 'stop']);
  }

  stopQuietly(): void {
    try {
      this.run('pg_ctl', ['-D', this.dir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // not running
    }
  }

  /** A superuser connection to the run's database (or `postgres`, before the application created it). */
  async connect(database = 'statera_chaos'): Promise<Client> {
    const client = new Client({ connectionString: `postgres://postgres@127.0.0.1:${this.port}/${database}`, connectionTimeoutMillis: 5000 });
    await client.connect();
    return client;
  }

  /** Every application connection to the database is cut, as a failover or an idle-timeout proxy does. */
  async terminateBackends(): Promise<number> {
    const client = await this.connect('postgres');
    try {
      const { rows } = await client.query(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = 'statera_chaos' AND pid <> pg_backend_pid()`);
      return rows[0].n;
    } finally {
      await client.end();
    }
  }
}

/** What each project process printed goes to its own file in the run's folder. */
class LogFiles {
  private readonly streams = new Map<string, WriteStream>();
  constructor(private readonly dir: string) {}
  stream(name: string): WriteStream {
    let s = this.streams.get(name);
    if (!s) {
      s = createWriteStream(path.join(this.dir, `${name}.log`), { flags: 'a' });
      this.streams.set(name, s);
    }
    return s;
  }
  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise((r) => s.end(r))));
  }
}

export interface ManagedSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Resolves when the process serves; rejects on timeout. */
  ready: () => Promise<boolean>;
  /** A project process (API, worker, sandbox): an exit we did not cause is a failure of the run. */
  project: boolean;
}

/**
 * A process the run starts, kills on purpose and starts again. An exit that the run did not
 * ask for (no `kill()` before it) is recorded: "no project process exited by itself".
 */
export class Managed {
  child: ChildProcess | undefined;
  private expectingExit = false;
  readonly unexpectedExits: string[] = [];
  starts = 0;

  constructor(
    readonly spec: ManagedSpec,
    private readonly logs: LogFiles,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 90_000): Promise<void> {
    const out = this.logs.stream(this.spec.name);
    out.write(`--- start ${++this.starts} at ${new Date().toISOString()}\n`);
    this.expectingExit = false;
    const child = spawn(this.spec.command, this.spec.args, { cwd: ROOT, env: { ...process.env, ...this.spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.once('exit', (code, signal) => {
      out.write(`--- exit code=${code} signal=${signal} at ${new Date().toISOString()}\n`);
      if (!this.expectingExit && this.spec.project) this.unexpectedExits.push(`${this.spec.name} exited by itself (code ${code}, signal ${signal}) at ${new Date().toISOString()}`);
    });
    await until(`${this.spec.name} to serve`, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.spec.name} exited during its start; see ${this.spec.name}.log`);
      return this.spec.ready();
    }, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message} (see ${this.spec.name}.log in the run folder)`);
    });
  }

  /** Ends the process by its PID with `signal` and waits for it; SIGKILL after 10 s. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface Topology {
  runDir: string;
  pg: PrivatePostgres;
  redis: Managed;
  redisPort: number;
  sandbox: Managed;
  sandboxUrl: string;
  api: Managed;
  apiUrl: string;
  workers: Managed[];
  adminKey: string;
  all: Managed[];
  close(): Promise<void>;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

async function redisAnswers(port: number): Promise<boolean> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined); // not up yet: the caller asks again
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } finally {
    r.disconnect();
  }
}

/**
 * Starts the topology: PostgreSQL and Redis, the sandbox, the API (which creates and migrates
 * the database) and the workers. Timings of the sample processes are shortened so a payment
 * ends in seconds, not the production minutes.
 */
export async function startTopology(runDir: string, options: { workers: number; adminKey: string; processConfig: Record<string, unknown> }): Promise<Topology> {
  const logs = new LogFiles(runDir);
  const pg = new PrivatePostgres(runDir);
  await pg.init();
  const redisPort = await freePort();
  const sandboxPort = await freePort();
  const apiPort = await freePort();
  const node = process.execPath;
  const tsNode = ['-r', '@swc-node/register'];
  const swcEnv = { SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') };
  const redisDir = path.join(runDir, 'redis');
  mkdirSync(redisDir, { recursive: true });

  const redis = new Managed({
    name: 'redis',
    command: redisBin(),
    args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir],
    env: {},
    ready: () => redisAnswers(redisPort),
    project: false,
  }, logs);
  const sandbox = new Managed({
    name: 'sandbox',
    command: node,
    args: [...tsNode, 'src/sandbox/main.ts'],
    env: { ...swcEnv, SANDBOX_PORT: String(sandboxPort) },
    ready: () => httpOk(`http://127.0.0.1:${sandboxPort}/admin/stats`),
    project: true,
  }, logs);
  const common = {
    ...swcEnv,
    DATABASE_URL: pg.url,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    QUEUE_PREFIX: 'chaos',
    SANDBOX: 'false',
    PARTNERS_URL: `http://127.0.0.1:${sandboxPort}`,
    PROCESS_CONFIG: JSON.stringify(options.processConfig),
    LOG_LEVEL: 'warn',
  };
  const api = new Managed({
    name: 'api',
    command: node,
    args: [...tsNode, 'src/main.ts'],
    env: {
      ...common,
      ROLE: 'api',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      STATERA_BOOTSTRAP_ADMIN_KEY: options.adminKey,
      // The run is one client doing the work of many: the per-key limits are for tenants sharing an API.
      RATE_LIMITS: JSON.stringify(Object.fromEntries(['operator', 'reviewer', 'auditor', 'admin', 'platform-admin'].map((r) => [r, { perKey: 100_000, perTenant: 100_000 }]))),
    },
    ready: () => httpOk(`http://127.0.0.1:${apiPort}/health/ready`),
    project: true,
  }, logs);
  const workers: Managed[] = [];
  for (let i = 1; i <= options.workers; i++) {
    const metricsPort = await freePort();
    workers.push(new Managed({
      name: `worker-${i}`,
      command: node,
      args: [...tsNode, 'src/main.ts'],
      env: { ...common, ROLE: 'worker', METRICS_PORT: String(metricsPort) },
      ready: () => httpOk(`http://127.0.0.1:${metricsPort}/health`),
      project: true,
    }, logs));
  }
  const all = [redis, sandbox, api, ...workers];
  const close = async () => {
    for (const m of [...workers, api, sandbox, redis]) await m.kill('SIGTERM').catch(() => undefined);
    pg.stopQuietly();
    await logs.close();
  };
  try {
    await redis.start();
    await sandbox.start();
    await api.start(180_000);
    for (const w of workers) await w.start(180_000);
  } catch (err) {
    await close();
    throw err;
  }
  return { runDir, pg, redis, redisPort, sandbox, sandboxUrl: `http://127.0.0.1:${sandboxPort}`, api, apiUrl: `http://127.0.0.1:${apiPort}`, workers, adminKey: options.adminKey, all, close };
}
