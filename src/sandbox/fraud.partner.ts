import { z } from 'zod';
import { moneySchema } from './money';
import { created, IdSequence, post, type PartnerModule } from './partner';
import { hash32 } from './random';

// Loose: callers may send any context (merchant, country, device); all of it feeds the score.
const scoreSchema = z.looseObject({ transactionId: z.string().min(1).max(128), amount: moneySchema });
const overrideSchema = z.strictObject({
  score: z.int().min(0).max(100).optional(),
  reasons: z.array(z.string().max(64)).max(10).optional(),
});

export function bandOf(score: number): 'low' | 'medium' | 'high' {
  return score < 40 ? 'low' : score < 75 ? 'medium' : 'high';
}

/** Same input → same score, across runs and processes: it is a hash of the canonical body. */
export function fraudScore(input: unknown): number {
  return hash32(input) % 101;
}

export function createFraudPartner(): PartnerModule {
  let ids = new IdSequence();
  return {
    name: 'fraud',
    overrideSchema,
    routes: [
      post('/scores', scoreSchema, (body, { override }) => {
        const ov = overrideSchema.parse(override ?? {});
        const score = ov.score ?? fraudScore(body);
        return created({
          id: ids.next('frs'),
          transactionId: body.transactionId,
          score,
          band: bandOf(score),
          reasons: ov.reasons ?? (score >= 75 ? ['sandbox-hash-high'] : []),
          model: 'sandbox-hash-v1',
        });
      }),
    ],
    reset() {
      ids = new IdSequence();
    },
  };
}
