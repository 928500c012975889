import { z } from 'zod';
import { defineWorkflow, type WorkflowDefinition } from '../../src/engine';
import { NON_RETRYABLE_PARTNER_ERRORS } from '../../src/partners';
import { kycDocumentsSchema } from '../kyc-verification';
import { moneySchema } from '../shared/schemas';
import type { ProcessDeps } from '../shared/process-deps';
import { createLoanApprovalActivities } from './loan-approval.activities';
import { createLoanApprovalMachine, defaultLoanApprovalConfig, type LoanApprovalChildren, type LoanApprovalConfig } from './loan-approval.machine';

export { createLoanApprovalMachine, defaultLoanApprovalConfig, type LoanApprovalChildren, type LoanApprovalConfig } from './loan-approval.machine';

const decisionByUnderwriter = z.object({ underwriter: z.string().min(1), note: z.string().max(2000).optional() });

/**
 * `children` are the machines registered as the kyc-verification and payment-settlement
 * definitions (the engine finds a child's definition by its machine object). The loan
 * relies only on their input and output contracts (see loan-approval.types.ts).
 */
export function loanApprovalDefinition(
  deps: ProcessDeps,
  config: Partial<LoanApprovalConfig> = {},
  children: LoanApprovalChildren,
): WorkflowDefinition {
  const impl = createLoanApprovalActivities(deps.partners);
  return defineWorkflow({
    type: 'loan-approval',
    version: 1,
    description:
      'Consumer loan: KYC (child workflow), credit report, automated decision by score and amount thresholds or an underwriter ' +
      'referral with an escalating SLA, an offer that expires, and disbursement (payment-settlement child workflow). ' +
      'Declines send an adverse-action notice; an offer that cannot be honoured is withdrawn.',
    machine: createLoanApprovalMachine({ ...defaultLoanApprovalConfig, ...config }, children),
    input: z.object({
      applicationId: z.string().min(1).max(100),
      applicant: z.object({
        id: z.string().min(1).max(128),
        name: z.string().min(1).max(200),
        country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2'),
        dateOfBirth: z.iso.date().optional(),
        documents: kycDocumentsSchema.optional(),
      }),
      amount: moneySchema,
      termMonths: z.number().int().min(1).max(480),
      disbursementAccount: z.string().min(1),
      lenderAccount: z.string().min(1),
    }),
    events: {
      'underwriting.approved': decisionByUnderwriter,
      'underwriting.declined': decisionByUnderwriter,
      'offer.accepted': z.object({}),
      'offer.declined': z.object({ reason: z.string().max(2000).optional() }),
    },
    exampleInput: {
      applicationId: 'LOAN-2024-0042',
      applicant: {
        id: 'CUST-1001',
        name: 'Jana Novak',
        country: 'DE',
        dateOfBirth: '1988-04-12',
        documents: [{ type: 'passport', number: 'C01X00T47', country: 'DE' }],
      },
      amount: { value: 1_500_000, currency: 'EUR' },
      termMonths: 36,
      disbursementAccount: 'DE89370400440532013000',
      lenderAccount: 'LENDER-FUNDING-EUR',
    },
    activities: {
      pullCreditReport: {
        sideEffects: false,
        run: impl.pullCreditReport,
        // A bureau outage is retried for about a minute, then the application is referred.
        retry: { initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 30_000, maximumAttempts: 6, nonRetryableErrorTypes: [...NON_RETRYABLE_PARTNER_ERRORS] },
        startToCloseTimeoutMs: 15_000,
      },
    },
    effects: {
      escalateUnderwriting: { run: impl.escalateUnderwriting, retry: { maximumAttempts: 10 } },
      sendOffer: { run: impl.sendOffer, retry: { maximumAttempts: 10 } },
      withdrawOffer: { run: impl.withdrawOffer, retry: { maximumAttempts: 10 } },
      sendAdverseActionNotice: { run: impl.sendAdverseActionNotice, retry: { maximumAttempts: 10 } },
    },
  });
}
