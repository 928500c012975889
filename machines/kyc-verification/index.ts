import { z } from 'zod';
import { defineWorkflow, type RetryPolicy, type WorkflowDefinition } from '../../src/engine';
import { NON_RETRYABLE_PARTNER_ERRORS } from '../../src/partners';
import type { ProcessDeps } from '../shared/process-deps';
import { createKycVerificationActivities } from './kyc-verification.activities';
import { createKycVerificationMachine, defaultKycVerificationConfig, type KycVerificationConfig } from './kyc-verification.machine';

export { createKycVerificationMachine, defaultKycVerificationConfig, type KycVerificationConfig } from './kyc-verification.machine';

const countryCode = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2');

export const kycDocumentSchema = z.object({
  type: z.enum(['passport', 'id_card', 'driving_licence', 'proof_of_address', 'selfie']),
  number: z.string().min(1).max(64).optional(),
  country: countryCode.optional(),
  expired: z.boolean().optional(),
});

/** What an applicant hands in at once: the provider takes at most 20 documents. */
export const kycDocumentsSchema = z.array(kycDocumentSchema).min(1).max(20);

const reviewDecision = z.object({ reviewer: z.string().min(1), note: z.string().max(2000).optional() });

// A provider outage is retried for about a minute; a refusal is final at once.
const partnerRetry: Partial<RetryPolicy> = {
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
  maximumAttempts: 6,
  nonRetryableErrorTypes: [...NON_RETRYABLE_PARTNER_ERRORS],
};

export function kycVerificationDefinition(deps: ProcessDeps, config: Partial<KycVerificationConfig> = {}): WorkflowDefinition {
  const impl = createKycVerificationActivities(deps.partners);
  return defineWorkflow({
    type: 'kyc-verification',
    version: 1,
    description:
      'Know-your-customer verification: documents checked by the KYC provider (waiting for them with a reminder and an expiry), ' +
      'sanctions and PEP screening, and a compliance review with an escalating SLA for anything short of all clear.',
    machine: createKycVerificationMachine({ ...defaultKycVerificationConfig, ...config }),
    input: z.object({
      applicantId: z.string().min(1).max(128),
      name: z.string().min(1).max(200),
      country: countryCode,
      dateOfBirth: z.iso.date().optional(),
      documents: kycDocumentsSchema.optional(),
    }),
    events: {
      'documents.submitted': z.object({ documents: kycDocumentsSchema }),
      'review.approved': reviewDecision,
      'review.rejected': reviewDecision,
    },
    exampleInput: {
      applicantId: 'CUST-1001',
      name: 'Jana Novak',
      country: 'DE',
      dateOfBirth: '1988-04-12',
      documents: [{ type: 'passport', number: 'C01X00T47', country: 'DE' }],
    },
    activities: {
      verifyDocuments: { run: impl.verifyDocuments, retry: partnerRetry, startToCloseTimeoutMs: 15_000 },
      screenApplicant: { run: impl.screenApplicant, retry: partnerRetry, startToCloseTimeoutMs: 15_000 },
    },
    effects: {
      remindApplicant: { run: impl.remindApplicant, retry: { maximumAttempts: 10 } },
      escalateReview: { run: impl.escalateReview, retry: { maximumAttempts: 10 } },
    },
  });
}
