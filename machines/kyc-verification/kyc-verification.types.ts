// Types of the kyc-verification process: plain JSON, no runtime code.

/** An identity document as the KYC provider takes it (mirrors the partners client's `KycDocument`). */
export interface KycDocument {
  type: 'passport' | 'id_card' | 'driving_licence' | 'proof_of_address' | 'selfie';
  number?: string;
  /** ISO 3166-1 alpha-2 of the issuing country. */
  country?: string;
  expired?: boolean;
}

export interface KycVerificationInput {
  applicantId: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** ISO date (YYYY-MM-DD). */
  dateOfBirth?: string;
  /** Documents already on file (e.g. uploaded with a loan application); without them the process waits for them. */
  documents?: KycDocument[];
}

export type KycOutcome = 'verified' | 'rejected' | 'expired';

export interface KycVerificationOutput {
  outcome: KycOutcome;
  applicantId: string;
  riskFlags: string[];
  /** 'automated' for a rule-based outcome, else the compliance reviewer. */
  decidedBy: string;
}

export interface KycVerificationContext {
  applicantId: string;
  name: string;
  country: string;
  dateOfBirth: string | null;
  documents: KycDocument[];
  /** The provider's verdict on the documents, once checked. */
  documentResult: DocumentCheckResult['result'] | null;
  riskFlags: string[];
  decidedBy: string | null;
  reviewNote: string | null;
  outcome: KycOutcome | null;
}

export type KycVerificationEvent =
  | { type: 'documents.submitted'; documents: KycDocument[] }
  | { type: 'review.approved'; reviewer: string; note?: string }
  | { type: 'review.rejected'; reviewer: string; note?: string };

export interface DocumentCheckInput {
  applicantId: string;
  documents: KycDocument[];
}

/** `missing`: nothing to check yet, so the provider was not called. */
export interface DocumentCheckResult {
  result: 'clear' | 'unclear' | 'rejected' | 'missing';
  reasons: string[];
}

export interface ScreeningInput {
  name: string;
  country: string;
  dateOfBirth: string | null;
}

export interface ScreeningResult {
  result: 'clear' | 'hit' | 'pep';
  /** The watch lists that matched, without duplicates. */
  lists: string[];
}
