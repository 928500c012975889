import type { CancellationRequested } from '../../src/engine';
import type { Money } from '../shared/money';

export interface PaymentSettlementInput {
  paymentId: string;
  /** Debited; its currency is `amount.currency`. */
  debtorAccount: string;
  /** Credited, in `creditorCurrency`. */
  creditorAccount: string;
  amount: Money;
  creditorCurrency: string;
}

export type PaymentOutcome = 'settled' | 'rejected' | 'failed' | 'cancelled';

export interface PaymentSettlementOutput {
  outcome: PaymentOutcome;
  paymentId: string;
  holdId: string | null;
  transferId: string | null;
  fxRate?: number;
  reason?: string;
}

/**
 * What the payment reads from its fraud-check child. Declared here rather than imported,
 * so the statechart stays within its own folder; index.ts checks the two agree.
 */
export interface FraudScreeningResult {
  decision: 'approved' | 'declined';
  score: number;
  decidedBy: 'rules' | 'analyst' | 'sla';
}

export interface PaymentSettlementContext extends PaymentSettlementInput {
  /** Platform account in the debtor's currency: the captured hold lands here. */
  collectionAccount: string | null;
  /** Platform account in the creditor's currency: the payout transfer leaves from here. */
  payoutAccount: string | null;
  holdId: string | null;
  fraud: FraudScreeningResult | null;
  quoteId: string | null;
  quoteAttempts: number;
  fxRate: number | null;
  /** What the creditor receives, in `creditorCurrency`. */
  payout: Money | null;
  transferId: string | null;
  /** Set when the ending is decided (before a compensation runs), so the compensation knows where to end. */
  outcome: PaymentOutcome | null;
  reason: string | null;
}

/**
 * The bank's settlement callback names the payment by the end-to-end reference the payout
 * carried (the paymentId) and, when it has it, by the bank's transfer id.
 */
export interface SettlementNotice {
  reference: string;
  transferId?: string;
}

export type PaymentSettlementEvent =
  | ({ type: 'settlement.confirmed' } & SettlementNotice)
  | ({ type: 'settlement.failed'; reason: string } & SettlementNotice)
  | CancellationRequested;

export interface ValidatePaymentInput {
  debtorAccount: string;
  creditorAccount: string;
  amount: Money;
  creditorCurrency: string;
  collectionAccount: string | null;
  payoutAccount: string | null;
}
export interface ValidatePaymentOutput {
  valid: boolean;
  reason: string | null;
}

export interface ReserveFundsInput {
  accountId: string;
  amount: Money;
}
export interface ReserveFundsOutput {
  holdId: string;
}

/** What the bank holds or paid for this payment, found by the payment's own ids after every answer was lost. */
export interface FindHoldOutput {
  holdId: string | null;
}
export interface FindTransferOutput {
  transferId: string | null;
}

export interface RequestQuoteInput {
  from: string;
  to: string;
  amount: Money;
}
export interface RequestQuoteOutput {
  quoteId: string;
  rate: number;
  converted: Money;
}

export interface ExecuteQuoteInput {
  quoteId: string;
}
/** An expired quote is an answer, not an error: the machine re-quotes. */
export type ExecuteQuoteOutput = { status: 'executed'; rate: number; bought: Money } | { status: 'expired' };

export interface ReverseFxDealInput {
  quoteId: string;
}
export interface ReverseFxDealOutput {
  reversedAt: string;
}

export interface SubmitTransferInput {
  from: string;
  to: string;
  amount: Money;
  reference: string;
}
export interface SubmitTransferOutput {
  transferId: string;
}

export interface QuerySettlementInput {
  transferId: string;
}
export interface QuerySettlementOutput {
  status: 'pending' | 'settled' | 'failed' | 'reversed';
  failureReason: string | null;
}

export interface CaptureHoldInput {
  holdId: string;
  toAccountId: string;
}
export interface CaptureHoldOutput {
  captured: Money;
}

export interface ReverseTransferInput {
  transferId: string;
  reason: string;
}
export interface ReverseTransferOutput {
  status: 'reversed' | 'failed';
}

export interface ReleaseHoldInput {
  holdId: string;
}
export interface ReleaseHoldOutput {
  status: 'released';
}
