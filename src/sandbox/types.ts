// Wire shapes returned by the sandbox, for the client. Type-only imports keep this file
// free of any runtime dependency on the server.
import type { LedgerTotals } from './bank.ledger';
import type { FaultConfigInput, ScriptEntry } from './faults';
import type { Money } from './money';
import type { PartnerName } from './partner';
import type { PartnerStats } from './runtime';

export type { LedgerTotals, FaultConfigInput, ScriptEntry, Money, PartnerName, PartnerStats };

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

export interface SandboxStats {
  partners: Record<PartnerName, PartnerStats>;
  idempotencyKeys: number;
  now: string;
}
