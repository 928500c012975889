// Types of the loan-approval process and the contracts of the processes it runs as children.
import type { Money } from '../shared/money';

/** An identity document, as the KYC child takes it. */
export interface ApplicantDocument {
  type: 'passport' | 'id_card' | 'driving_licence' | 'proof_of_address' | 'selfie';
  number?: string;
  country?: string;
  expired?: boolean;
}

export interface Applicant {
  id: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** ISO date (YYYY-MM-DD). */
  dateOfBirth?: string;
  /** Uploaded with the application; without them the KYC child waits for them. */
  documents?: ApplicantDocument[];
}

export interface LoanApprovalInput {
  applicationId: string;
  applicant: Applicant;
  amount: Money;
  termMonths: number;
  /** The applicant's account the loan is paid into. */
  disbursementAccount: string;
  /** The lender's funding account the loan is paid from. */
  lenderAccount: string;
}

export type LoanOutcome = 'disbursed' | 'declined' | 'expired' | 'withdrawn' | 'failed';

/** The credit decision, automated or by an underwriter. */
export interface LoanDecision {
  result: 'approved' | 'declined';
  /** 'automated', or the underwriter who decided a referral. */
  decidedBy: string;
  creditScore: number | null;
  /** Why the rules referred the application to an underwriter; null when they decided alone. */
  referralReason: string | null;
  note: string | null;
}

export interface LoanApprovalOutput {
  outcome: LoanOutcome;
  applicationId: string;
  amount: Money;
  decision?: LoanDecision;
  reason?: string;
}

export interface LoanApprovalContext extends LoanApprovalInput {
  kycRiskFlags: string[];
  creditScore: number | null;
  referralReason: string | null;
  decision: LoanDecision | null;
  reason: string | null;
  outcome: LoanOutcome | null;
}

export type LoanApprovalEvent =
  | { type: 'underwriting.approved'; underwriter: string; note?: string }
  | { type: 'underwriting.declined'; underwriter: string; note?: string }
  | { type: 'underwriting.secondApproved'; underwriter: string; note?: string }
  | { type: 'underwriting.secondDeclined'; underwriter: string; note?: string }
  | { type: 'offer.accepted' }
  | { type: 'offer.declined'; reason?: string }
  | { type: 'cancellation.requested' };

export interface CreditReportInput {
  applicationId: string;
  applicantId: string;
}

export interface CreditReportResult {
  score: number;
}

/** The kyc-verification child: what the loan sends it and reads back. */
export interface KycChildInput {
  applicantId: string;
  name: string;
  country: string;
  dateOfBirth?: string;
  documents: ApplicantDocument[];
}

export interface KycChildOutput {
  outcome: 'verified' | 'rejected' | 'expired';
  riskFlags: string[];
}

/** The payment-settlement child: the only contract the loan relies on. */
export interface DisbursementInput {
  paymentId: string;
  debtorAccount: string;
  creditorAccount: string;
  amount: Money;
  creditorCurrency: string;
}

export interface DisbursementOutput {
  outcome: 'settled' | 'failed';
  paymentId: string;
}
