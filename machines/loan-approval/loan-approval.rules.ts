// The automated credit rules of the loan: pure functions of the configuration and the application.
import type { Money } from '../shared/money';
import type { LoanApprovalConfig } from './loan-approval.machine';
import type { LoanApprovalContext, LoanDecision } from './loan-approval.types';

export const withinAutomaticLimit = (config: LoanApprovalConfig, amount: Money): boolean => {
  const limit = config.autoApproveMaxAmount[amount.currency];
  return limit !== undefined && amount.value <= limit;
};

/** The first rule that kept the application from automatic approval. */
export const referralReasonFor = (config: LoanApprovalConfig, context: LoanApprovalContext, score: number): string =>
  score < config.autoApproveFromScore
    ? 'credit-score-in-review-band'
    : !withinAutomaticLimit(config, context.amount)
      ? 'amount-above-automatic-limit'
      : 'identity-risk-flags';

export const automated = (result: LoanDecision['result'], creditScore: number): LoanDecision => ({
  result,
  decidedBy: 'automated',
  creditScore,
  referralReason: null,
  note: null,
});

export const byUnderwriter = (result: LoanDecision['result'], context: LoanApprovalContext, event: { underwriter: string; note?: string }): LoanDecision => ({
  result,
  decidedBy: event.underwriter,
  creditScore: context.creditScore,
  referralReason: context.referralReason,
  note: event.note ?? null,
});
