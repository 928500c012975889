import type { ActivityContext } from '../../src/engine';
import type { PartnersClient } from '../../src/partners';
import type { ScoreTransactionInput, ScoreTransactionOutput } from './fraud-check.machine';

/** The fraud check's only I/O: one call to the fraud scorer. */
export function createFraudCheckActivities(partners: PartnersClient) {
  return {
    async scoreTransaction(input: ScoreTransactionInput, ctx: ActivityContext): Promise<ScoreTransactionOutput> {
      const { score } = await partners.fraud.score(
        { transactionId: input.transactionId, amount: input.amount, payer: input.payer, payee: input.payee },
        { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
      );
      // Only the score: the decision must follow from what the machine was told, nothing else.
      return { score };
    },
  };
}
