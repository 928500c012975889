import { z } from 'zod';
import { created, IdSequence, post, type PartnerModule } from './partner';
import { hash32 } from './random';

const reportSchema = z.object({ applicantId: z.string().min(1).max(128), purpose: z.string().max(64).optional() });
const overrideSchema = z.strictObject({ score: z.int().min(300).max(850).optional() });

/** Depends on the applicant only, as a real bureau score would not change with the purpose. */
export function creditScore(applicantId: string): number {
  return 300 + (hash32({ applicantId }) % 551);
}

export function creditBand(score: number): 'poor' | 'fair' | 'good' | 'excellent' {
  return score < 580 ? 'poor' : score < 670 ? 'fair' : score < 740 ? 'good' : 'excellent';
}

export function createCreditPartner(): PartnerModule {
  let ids = new IdSequence();
  return {
    name: 'credit',
    overrideSchema,
    routes: [
      post('/reports', reportSchema, (body, { override, now }) => {
        const score = overrideSchema.parse(override ?? {}).score ?? creditScore(body.applicantId);
        return created({
          id: ids.next('crr'),
          applicantId: body.applicantId,
          score,
          band: creditBand(score),
          generatedAt: new Date(now).toISOString(),
        });
      }),
    ],
    reset() {
      ids = new IdSequence();
    },
  };
}
