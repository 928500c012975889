import { enc, PartnersClient, type PartnersClientOptions } from '../partners/client';
import type { BrokerOrder, Money, PartnerName } from '../partners/types';
import type { FaultConfigInput, ScriptEntry } from './faults';
import type { PartnerStats } from './runtime';

export * from '../partners/client';
export * from '../partners/errors';
export type * from '../partners/types';
export type { FaultConfigInput, ScriptEntry, PartnerStats };

export type SandboxClientOptions = PartnersClientOptions;

export interface SandboxStats {
  partners: Record<PartnerName, PartnerStats>;
  idempotencyKeys: number;
  now: string;
}

/** The partners' client plus the sandbox's own test controls (faults, scripts, clock): for tests, the demo and the bench. */
export class SandboxClient extends PartnersClient {
  /** Test controls: no Idempotency-Key, never faulted. */
  readonly admin = {
    setFaults: (partner: PartnerName, config: FaultConfigInput) =>
      this.call<FaultConfigInput>({ partner: 'admin', operation: 'setFaults', method: 'PUT', path: `/admin/partners/${partner}/faults`, body: config }),
    getFaults: (partner: PartnerName) =>
      this.call<FaultConfigInput>({ partner: 'admin', operation: 'getFaults', method: 'GET', path: `/admin/partners/${partner}/faults` }),
    clearFaults: (partner: PartnerName) =>
      this.call<FaultConfigInput>({ partner: 'admin', operation: 'clearFaults', method: 'DELETE', path: `/admin/partners/${partner}/faults` }),
    /** Appends scripted outcomes to the partner's queue (keeps the random profile). */
    script: (partner: PartnerName, entries: ScriptEntry[]) =>
      this.call<FaultConfigInput>({ partner: 'admin', operation: 'script', method: 'POST', path: `/admin/partners/${partner}/script`, body: { script: entries } }),
    configure: (partner: 'bank' | 'fx', config: { settlementDelayMs?: number; quoteTtlMs?: number }) =>
      this.call<unknown>({ partner: 'admin', operation: 'configure', method: 'PUT', path: `/admin/partners/${partner}/config`, body: config }),
    reset: () => this.call<unknown>({ partner: 'admin', operation: 'reset', method: 'POST', path: '/admin/reset', body: {} }),
    stats: () => this.call<SandboxStats>({ partner: 'admin', operation: 'stats', method: 'GET', path: '/admin/stats' }),
    ledgerTotals: () => this.bank.ledgerTotals(),
    advanceClock: (ms: number) =>
      this.call<{ now: string }>({ partner: 'admin', operation: 'advanceClock', method: 'POST', path: '/admin/clock/advance', body: { ms } }),
    addFill: (orderId: string, fill: { quantity: number; price?: Money }) =>
      this.call<BrokerOrder>({
        partner: 'admin',
        operation: 'addFill',
        method: 'POST',
        path: `/admin/partners/broker/orders/${enc(orderId)}/fills`,
        body: fill,
      }),
  };
}
