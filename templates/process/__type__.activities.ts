import { NonRetryableError, type ActivityContext, type EffectContext } from 'statera';
import type { CheckResult, __Name__Input } from './__type__.machine';

/**
 * The I/O of the process. Replace the bodies with your partner calls: pass
 * `ctx.idempotencyKey` to the partner (it is the same on every attempt of this step, so a
 * retried call is recognised as a repeat), honour `ctx.signal` (it fires at the timeout),
 * throw an ordinary Error for a failure worth retrying and NonRetryableError for a
 * permanent one.
 */
export async function checkRequest(input: __Name__Input, ctx: ActivityContext): Promise<CheckResult> {
  if (input.amount.value <= 0) throw new NonRetryableError(`amount must be positive, got ${input.amount.value}`);
  const limit = 1_000_000;
  return input.amount.value <= limit
    ? { approved: true, reason: `within the limit of ${limit} (key ${ctx.idempotencyKey})` }
    : { approved: false, reason: `${input.amount.value} is over the limit of ${limit}` };
}

export async function notifyCustomer(params: { requestId: string; outcome: string }, ctx: EffectContext): Promise<void> {
  process.stdout.write(`${JSON.stringify({ msg: 'customer notified', ...params, idempotencyKey: ctx.idempotencyKey })}\n`);
}
