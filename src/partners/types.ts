// Wire shapes of the partner APIs (bank, FX, fraud, KYC, sanctions, credit, broker): what
// the production client sends and receives. The sandbox simulates these same contracts.

export const PARTNER_NAMES = ['bank', 'fx', 'fraud', 'kyc', 'sanctions', 'credit', 'broker'] as const;
export type PartnerName = (typeof PARTNER_NAMES)[number];

export interface Money {
  /** Integer amount in minor units (cents for EUR, yen for JPY). */
  value: number;
  /** ISO 4217 alphabetic code. */
  currency: string;
}

export interface CurrencyTotals {
  /** Sum of every account, system ones included: constant (0) whatever happens. */
  total: number;
  customer: number;
  equity: number;
  clearing: number;
  accounts: number;
}

export interface LedgerTotals {
  currencies: Record<string, CurrencyTotals>;
  postings: number;
  /** False would mean a posting whose entries do not sum to zero — a sandbox bug. */
  balanced: boolean;
}

export interface Account {
  id: string;
  owner: string | null;
  currency: string;
  balance: Money;
  held: Money;
  available: Money;
  createdAt: string;
}

export interface Hold {
  id: string;
  accountId: string;
  amount: Money;
  reference: string | null;
  status: 'active' | 'released' | 'captured';
  captured: Money | null;
  capturedTo: string | null;
  createdAt: string;
  closedAt: string | null;
}

export interface Transfer {
  id: string;
  from: string;
  to: string;
  amount: Money;
  reference: string | null;
  endToEndId: string | null;
  status: 'submitted' | 'settled' | 'failed' | 'reversed';
  failureReason: string | null;
  submittedAt: string;
  expectedSettlementAt: string;
  settledAt: string | null;
  failedAt: string | null;
  reversedAt: string | null;
}

export interface FxQuote {
  id: string;
  from: string;
  to: string;
  amount: Money;
  converted: Money;
  rate: number;
  reference: string | null;
  status: 'open' | 'expired' | 'executed' | 'reversed';
  createdAt: string;
  expiresAt: string;
  executionId: string | null;
  reversedAt: string | null;
}

export interface FxReversal {
  quoteId: string;
  executionId: string;
  reversedAt: string;
}

export interface FxExecution {
  id: string;
  quoteId: string;
  sold: Money;
  bought: Money;
  rate: number;
  executedAt: string;
}

export interface FraudScore {
  id: string;
  transactionId: string;
  score: number;
  band: 'low' | 'medium' | 'high';
  reasons: string[];
  model: string;
}

export interface KycCheck {
  id: string;
  applicantId: string;
  result: 'clear' | 'unclear' | 'rejected';
  reasons: string[];
  documentsChecked: number;
}

export interface SanctionsScreening {
  id: string;
  name: string;
  country: string;
  result: 'clear' | 'hit' | 'pep';
  matches: { list: string; name: string }[];
}

export interface CreditReport {
  id: string;
  applicantId: string;
  score: number;
  band: 'poor' | 'fair' | 'good' | 'excellent';
  generatedAt: string;
}

export interface BrokerFill {
  id: string;
  quantity: number;
  price: Money;
  at: string;
}

export interface BrokerOrder {
  id: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  limitPrice: Money | null;
  clientOrderId: string | null;
  status: 'accepted' | 'rejected' | 'partially_filled' | 'filled' | 'cancelled';
  rejectReason: string | null;
  filledQuantity: number;
  remainingQuantity: number;
  averagePrice: Money | null;
  fills: BrokerFill[];
  createdAt: string;
  cancelledAt: string | null;
}

export interface KycDocument {
  type: 'passport' | 'id_card' | 'driving_licence' | 'proof_of_address' | 'selfie';
  number?: string;
  country?: string;
  expired?: boolean;
}
