import type { ActivityContext, EffectContext } from '../../src/engine';
import type { ReserveFundsInput } from './demo-transfer.machine';

/**
 * Stands in for a bank call: the first `failFirstAttempts` attempts fail as an outage
 * would, so retries can be watched in the history. The hold id derives from the
 * idempotency key, as a partner honouring the key would return the same hold.
 */
export async function reserveFunds(input: ReserveFundsInput, ctx: ActivityContext): Promise<{ holdId: string }> {
  if (ctx.attempt <= input.failFirstAttempts) {
    throw new Error(`bank unavailable (simulated outage, attempt ${ctx.attempt} of ${input.failFirstAttempts} failing)`);
  }
  return { holdId: `hold-${Buffer.from(ctx.idempotencyKey).toString('base64url').slice(0, 24)}` };
}

export async function notifyCustomer(params: { transferId: string; outcome: string }, ctx: EffectContext): Promise<void> {
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'customer notified', transferId: params.transferId, outcome: params.outcome, idempotencyKey: ctx.idempotencyKey })}\n`);
}
