import type { SandboxClient } from '../src/sandbox/client';
import { sleep, type Managed, type Topology } from './cluster';

export type FaultKind = 'worker-sigkill' | 'redis-killed-restarted-empty' | 'postgres-immediate-stop' | 'api-sigkill' | 'connections-terminated' | 'partner-answers-lost';

/** While faults run, every bank and FX call may fail or hang, and some hang after the partner applied them. */
const BACKGROUND = { errorRate: 0.03, timeoutRate: 0.05, timeoutAppliedRate: 0.6, hangMs: 800, timeoutMode: 'destroy' as const };
/** A burst: one call in three hangs after it was applied, and its answer never arrives. */
const BURST = { errorRate: 0.05, timeoutRate: 0.3, timeoutAppliedRate: 1, hangMs: 800, timeoutMode: 'destroy' as const };

/**
 * Two tracks for `durationMs`: workers SIGKILLed every 2-5 s and started again after 0.5-2 s;
 * and, one after another, Redis killed and restarted empty, PostgreSQL stopped with
 * `-m immediate`, the API SIGKILLed, every database connection terminated, and bursts of
 * partner answers lost after the partner applied them. The same seed draws the same schedule.
 */
export class FaultInjector {
  readonly counts: Record<FaultKind, number> = {
    'worker-sigkill': 0, 'redis-killed-restarted-empty': 0, 'postgres-immediate-stop': 0, 'api-sigkill': 0, 'connections-terminated': 0, 'partner-answers-lost': 0,
  };
  lastFaultEndedAt = 0;
  readonly log: string[] = [];
  private readonly restarting = new Set<Managed>();
  private readonly restarts: Promise<void>[] = [];

  constructor(
    private readonly t: Topology,
    private readonly partners: SandboxClient,
    private readonly random: () => number,
  ) {}

  private between(minMs: number, maxMs: number): number {
    return Math.floor(minMs + this.random() * (maxMs - minMs));
  }

  private note(kind: FaultKind, detail = ''): void {
    this.counts[kind]++;
    this.log.push(`${new Date().toISOString()} ${kind}${detail ? ` ${detail}` : ''}`);
  }

  /**
   * Sets (or, with undefined, lifts) the random faults of the bank and FX. Setting faults
   * replaces a partner's script, so the entries still queued (the payouts planned to fail) are
   * passed along.
   */
  private async partnerFaults(config: typeof BACKGROUND | undefined): Promise<void> {
    for (const partner of ['bank', 'fx'] as const) {
      const { script } = await this.partners.admin.getFaults(partner);
      await this.partners.admin.setFaults(partner, { ...(config ?? {}), script, seed: Math.floor(this.random() * 2 ** 31) });
    }
  }

  async run(durationMs: number): Promise<void> {
    const end = Date.now() + durationMs;
    await this.partnerFaults(BACKGROUND);
    await Promise.all([this.workerTrack(end), this.infrastructureTrack(end)]);
    await this.partnerFaults(undefined);
    await Promise.all(this.restarts);
    this.lastFaultEndedAt = Date.now();
  }

  private restartLater(m: Managed, afterMs: number): void {
    this.restarting.add(m);
    this.restarts.push(
      sleep(afterMs)
        .then(() => m.start(180_000))
        .finally(() => this.restarting.delete(m)),
    );
  }

  private async workerTrack(end: number): Promise<void> {
    while (Date.now() < end) {
      await sleep(this.between(2000, 5000));
      const candidates = this.t.workers.filter((w) => w.running && !this.restarting.has(w));
      if (candidates.length === 0 || Date.now() >= end) continue;
      const victim = candidates[Math.floor(this.random() * candidates.length)];
      await victim.kill('SIGKILL');
      this.note('worker-sigkill', victim.spec.name);
      this.restartLater(victim, this.between(500, 2000));
    }
  }

  private async infrastructureTrack(end: number): Promise<void> {
    const kinds: FaultKind[] = ['redis-killed-restarted-empty', 'postgres-immediate-stop', 'api-sigkill', 'connections-terminated', 'partner-answers-lost'];
    let round: FaultKind[] = [];
    while (Date.now() < end) {
      await sleep(this.between(2000, 5000));
      if (Date.now() >= end) break;
      // Every kind once per round, in a seeded order: a short run still meets each of them.
      if (round.length === 0) round = [...kinds].sort(() => this.random() - 0.5);
      const kind = round.pop()!;
      switch (kind) {
        case 'redis-killed-restarted-empty':
          await this.t.redis.kill('SIGKILL');
          this.note(kind);
          await sleep(this.between(1000, 3000));
          await this.t.redis.start();
          break;
        case 'postgres-immediate-stop':
          this.t.pg.stopImmediate();
          this.note(kind);
          await sleep(this.between(2000, 5000));
          this.t.pg.start();
          break;
        case 'api-sigkill':
          await this.t.api.kill('SIGKILL');
          this.note(kind);
          await sleep(this.between(500, 1500));
          await this.t.api.start(180_000);
          break;
        case 'connections-terminated':
          this.note(kind, `${await this.t.pg.terminateBackends()} connections`);
          break;
        case 'partner-answers-lost':
          await this.partnerFaults(BURST);
          this.note(kind);
          await sleep(this.between(3000, 8000));
          await this.partnerFaults(BACKGROUND);
          break;
      }
    }
  }
}
