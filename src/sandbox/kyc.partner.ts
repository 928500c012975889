import { z } from 'zod';
import { created, IdSequence, post, type PartnerModule } from './partner';

const PHOTO_ID = new Set(['passport', 'id_card', 'driving_licence']);

const documentSchema = z.object({
  type: z.enum(['passport', 'id_card', 'driving_licence', 'proof_of_address', 'selfie']),
  number: z.string().max(64).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2').optional(),
  expired: z.boolean().optional(),
});
const checkSchema = z.object({ applicantId: z.string().min(1).max(128), documents: z.array(documentSchema).max(20) });

export type KycResult = 'clear' | 'unclear' | 'rejected';

const overrideSchema = z.strictObject({
  result: z.enum(['clear', 'unclear', 'rejected']).optional(),
  reasons: z.array(z.string().max(64)).max(10).optional(),
});

/** Rule-based rather than hashed so a test can reason about the outcome from the documents. */
export function kycDecision(documents: z.infer<typeof documentSchema>[]): { result: KycResult; reasons: string[] } {
  if (documents.some((d) => d.expired)) return { result: 'rejected', reasons: ['document-expired'] };
  if (!documents.some((d) => PHOTO_ID.has(d.type))) return { result: 'unclear', reasons: ['missing-photo-id'] };
  return { result: 'clear', reasons: [] };
}

export function createKycPartner(): PartnerModule {
  let ids = new IdSequence();
  return {
    name: 'kyc',
    overrideSchema,
    routes: [
      post('/checks', checkSchema, (body, { override }) => {
        const ov = overrideSchema.parse(override ?? {});
        const decided = kycDecision(body.documents);
        const result = ov.result ?? decided.result;
        return created({
          id: ids.next('kyc'),
          applicantId: body.applicantId,
          result,
          reasons: ov.reasons ?? (ov.result ? [`scripted-${result}`] : decided.reasons),
          documentsChecked: body.documents.length,
        });
      }),
    ],
    reset() {
      ids = new IdSequence();
    },
  };
}
