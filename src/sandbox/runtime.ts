import { setMaxListeners } from 'node:events';
import type { Response } from 'express';
import { FaultController } from './faults';
import { IdempotencyStore } from './idempotency';
import type { PartnerModule, PartnerName } from './partner';

export interface PartnerStats {
  /** Every request routed to the partner, whatever happened to it. */
  received: number;
  /** Mutations answered from the idempotency store instead of being executed. */
  replays: number;
  /** Mutations executed successfully (2xx) — the number that must never double. */
  effectsApplied: number;
  /** Mutations executed but refused with a stored 4xx (e.g. insufficient funds). */
  rejected: number;
  /** Requests refused before execution: missing key, invalid body. */
  invalid: number;
  idempotencyConflicts: number;
  injectedErrors: number;
  injectedTimeouts: number;
}

const emptyStats = (): PartnerStats => ({
  received: 0,
  replays: 0,
  effectsApplied: 0,
  rejected: 0,
  invalid: 0,
  idempotencyConflicts: 0,
  injectedErrors: 0,
  injectedTimeouts: 0,
});

/** Shared mutable state of one sandbox instance (one per app, never global). */
export class SandboxRuntime {
  readonly idempotency = new IdempotencyStore();
  private readonly faultsByPartner = new Map<PartnerName, FaultController>();
  private readonly statsByPartner = new Map<PartnerName, PartnerStats>();
  private readonly byName = new Map<PartnerName, PartnerModule>();
  private clockOffsetMs = 0;
  private readonly shutdownController = new AbortController();

  constructor(
    private readonly clock: () => number,
    readonly partners: readonly PartnerModule[],
  ) {
    // Every hung request waits on the shutdown signal and stops listening when it ends:
    // hundreds at once under injected timeouts are expected, not a leak.
    setMaxListeners(0, this.shutdownController.signal);
    for (const p of partners) {
      this.byName.set(p.name, p);
      this.faultsByPartner.set(p.name, new FaultController(p.name));
      this.statsByPartner.set(p.name, emptyStats());
    }
  }

  now(): number {
    return this.clock() + this.clockOffsetMs;
  }

  /** Lets tests expire quotes or settle transfers without sleeping. */
  advanceClock(ms: number): number {
    this.clockOffsetMs += ms;
    return this.now();
  }

  partner(name: PartnerName): PartnerModule {
    return this.byName.get(name)!;
  }

  faults(name: PartnerName): FaultController {
    return this.faultsByPartner.get(name)!;
  }

  stats(name: PartnerName): PartnerStats {
    return this.statsByPartner.get(name)!;
  }

  allStats(): Record<string, PartnerStats> {
    return Object.fromEntries([...this.statsByPartner].map(([k, v]) => [k, { ...v }]));
  }

  resetAll(): void {
    for (const p of this.partners) {
      p.reset();
      this.faults(p.name).reset();
      this.statsByPartner.set(p.name, emptyStats());
    }
    this.idempotency.clear();
    this.clockOffsetMs = 0;
  }

  get isShuttingDown(): boolean {
    return this.shutdownController.signal.aborted;
  }

  /** Releases every pending latency/hang timer so the server can close at once. */
  shutdown(): void {
    this.shutdownController.abort();
  }

  /**
   * Sleeps, but wakes early when the client goes away or the sandbox shuts down: a hung
   * request must not keep a closed test server (or jest) alive for `hangMs`.
   */
  wait(ms: number, res?: Response): Promise<void> {
    const signal = this.shutdownController.signal;
    return new Promise((resolve) => {
      if (signal.aborted || res?.destroyed) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        res?.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      res?.once('close', done);
    });
  }
}
