import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { fraudCheckDefinition } from '../../machines/fraud-check';
import { defaultFraudCheckConfig } from '../../machines/fraud-check/fraud-check.machine';
import { doneEvent, errorEvent, timerEvents, type ArrangeContext, type ModelScenario } from './support/scenario';

const HOUR = 3_600_000;
const { lowThreshold, highThreshold } = defaultFraudCheckConfig;

/** Each side of both thresholds: the boundaries themselves go to an analyst. */
const SCORES = [lowThreshold - 1, lowThreshold, highThreshold, highThreshold + 1];

/** The scorer answers after this, so the runner sees `scoring` before the answer moves on. */
const PARTNER_LATENCY_MS = 200;

function events(s: AnyMachineSnapshot): EventObject[] {
  if (s.matches('scoring')) return [...SCORES.map((score) => doneEvent('scoreTransaction', { score })), errorEvent('scoreTransaction', { name: 'PartnerRejectedError', message: 'refused' })];
  if (s.matches('awaitingReview')) {
    return [
      { type: 'review.approved', reviewer: 'analyst-7', note: 'customer confirmed the purchase by phone' },
      { type: 'review.declined', reviewer: 'analyst-3' },
      ...timerEvents(s),
    ] as EventObject[];
  }
  return [];
}

async function arrange(event: EventObject, ctx: ArrangeContext): Promise<void> {
  if (event.type === 'xstate.error.actor.scoreTransaction') {
    // A refusal (4xx) is not retried: the check fails on purpose.
    await ctx.partners.admin.script('fraud', [
      { match: { method: 'POST', path: '/fraud/scores', idempotencyKeyPrefix: ctx.workflowId }, outcome: 'error', status: 422, latencyMs: PARTNER_LATENCY_MS },
    ]);
    return;
  }
  if (event.type !== 'xstate.done.actor.scoreTransaction') throw new Error(`fraud-check scenario: nothing to arrange for ${event.type}`);
  const { score } = (event as EventObject & { output: { score: number } }).output;
  await ctx.partners.admin.script('fraud', [
    { match: { method: 'POST', path: '/fraud/scores', idempotencyKeyPrefix: ctx.workflowId }, outcome: 'ok', latencyMs: PARTNER_LATENCY_MS, body: { score } },
  ]);
}

export const fraudCheckScenario: ModelScenario = {
  type: 'fraud-check',
  definitions: (deps) => [fraudCheckDefinition(deps, { reviewSlaMs: 4 * HOUR })],
  inputs: [{ transactionId: 'FC-MODEL-1', amount: { value: 125_000, currency: 'EUR' }, payer: 'DE89370400440532013000', payee: 'FR1420041010050500013M02606' }],
  events,
  arrange,
};
