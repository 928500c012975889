// The command line: which scenarios and systems, and the counts of --quick, full and --large.

export const SCENARIOS = ['throughput', 'timers', 'parked', 'scaleout'] as const;
export const SYSTEMS = ['statera', 'dbos', 'bullmq', 'limit'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type SystemName = (typeof SYSTEMS)[number];

export interface BenchConfig {
  mode: 'quick' | 'full';
  large: boolean;
  scenarios: Scenario[];
  systems: Set<SystemName>;
  /** Five-step workflows per repeat (scenarios 1 and 4). */
  workflows: number;
  inFlight: number;
  /** Five-step workflows run one at a time per repeat, for the latency of one workflow alone (scenario 1). */
  soloWorkflows: number;
  repeats: number;
  /** Timer workflows per repeat (scenario 2). */
  timers: number;
  /** Parked-workflow sizes measured in turn (scenario 3). */
  parkedSizes: number[];
  /** Starts timed, one at a time, at each parked size. */
  startSample: number;
  fillConcurrency: number;
  limitClients: number;
  limitSeconds: number;
  workerNodeArgs: string[];
  /** True when a subset was asked for: the report then does not replace bench/RESULTS.md. */
  partial: boolean;
  argv: string[];
}

const USAGE = `npm run bench -- [--quick] [--large] [--only=${SCENARIOS.join(',')}] [--systems=${SYSTEMS.join(',')}]
  [--workflows=N] [--repeats=N] [--in-flight=N] [--timers=N] [--parked=N,N] [--worker-node-args="--cpu-prof ..."]`;

export function parseArgs(argv: string[]): BenchConfig {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const known = ['quick', 'large', 'only', 'systems', 'workflows', 'repeats', 'in-flight', 'timers', 'parked', 'worker-node-args', 'help'];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  if (flags.has('help')) throw new Error(USAGE);
  const quick = flags.has('quick');
  const large = flags.has('large');
  const list = <T extends string>(name: string, all: readonly T[]): T[] => {
    const value = flags.get(name);
    if (!value) return [...all];
    const items = value.split(',').map((s) => s.trim()) as T[];
    const bad = items.filter((i) => !all.includes(i));
    if (bad.length) throw new Error(`--${name}: unknown ${bad.join(', ')} (known: ${all.join(', ')})`);
    return items;
  };
  const int = (name: string, fallback: number) => {
    const value = flags.get(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const parked = flags.get('parked')?.split(',').map(Number) ?? (quick ? [10_000] : large ? [10_000, 100_000, 1_000_000] : [10_000, 100_000]);
  if (parked.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--parked takes sizes like 10000,100000');
  return {
    mode: quick ? 'quick' : 'full',
    large,
    scenarios: list('only', SCENARIOS),
    systems: new Set(list('systems', SYSTEMS)),
    workflows: int('workflows', quick ? 300 : 2000),
    inFlight: int('in-flight', 64),
    soloWorkflows: quick ? 20 : 100,
    repeats: int('repeats', quick ? 2 : 3),
    timers: int('timers', quick ? 200 : 1000),
    parkedSizes: [...parked].sort((a, b) => a - b),
    startSample: quick ? 200 : 500,
    fillConcurrency: 32,
    limitClients: 16,
    limitSeconds: quick ? 3 : 10,
    workerNodeArgs: flags.get('worker-node-args')?.split(/\s+/).filter(Boolean) ?? [],
    partial: ['only', 'systems', 'workflows', 'repeats', 'in-flight', 'timers', 'parked', 'worker-node-args'].some((k) => flags.has(k)),
    argv,
  };
}
