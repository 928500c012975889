import type { WorkflowDefinition } from '../src/engine';
import { demoTransfer } from './demo-transfer';
import { fraudCheckDefinition } from './fraud-check';
import type { FraudCheckConfig } from './fraud-check/fraud-check.machine';
import { kycVerificationDefinition } from './kyc-verification';
import type { KycVerificationConfig } from './kyc-verification/kyc-verification.machine';
import { loanApprovalDefinition } from './loan-approval';
import type { LoanApprovalConfig } from './loan-approval/loan-approval.machine';
import { paymentSettlementDefinition } from './payment-settlement';
import type { PaymentSettlementConfig } from './payment-settlement/payment-settlement.machine';
import type { ProcessDeps } from './shared/process-deps';
import { tradeExecutionDefinition } from './trade-execution';
import type { TradeExecutionConfig } from './trade-execution/trade-execution.machine';

/** Configuration overrides per process type (thresholds, durations), from PROCESS_CONFIG. */
export interface ProcessConfigs {
  'fraud-check'?: Partial<FraudCheckConfig>;
  'kyc-verification'?: Partial<KycVerificationConfig>;
  'payment-settlement'?: Partial<PaymentSettlementConfig>;
  'loan-approval'?: Partial<LoanApprovalConfig>;
  'trade-execution'?: Partial<TradeExecutionConfig>;
}

export const PROCESS_TYPES = ['fraud-check', 'kyc-verification', 'payment-settlement', 'loan-approval', 'trade-execution'] as const;

/**
 * Against the sandbox partners nothing waits a real trading day: T+1 is ten seconds and the
 * market closes after five minutes, so a trade settles while someone watches.
 */
export const SANDBOX_TIMINGS: ProcessConfigs = {
  'trade-execution': { settlementLagMs: 10_000, marketCloseMs: 5 * 60_000 },
};

/** Every definition the application registers; children first, so parents invoke the very machines registered. */
export function createDefinitions(deps: ProcessDeps, configs: ProcessConfigs = {}): WorkflowDefinition[] {
  const fraudCheck = fraudCheckDefinition(deps, configs['fraud-check']);
  const kycVerification = kycVerificationDefinition(deps, configs['kyc-verification']);
  const paymentSettlement = paymentSettlementDefinition(deps, configs['payment-settlement'], { fraudCheck: fraudCheck.machine });
  const loanApproval = loanApprovalDefinition(deps, configs['loan-approval'], {
    kycVerification: kycVerification.machine,
    paymentSettlement: paymentSettlement.machine,
  });
  return [demoTransfer, fraudCheck, kycVerification, paymentSettlement, loanApproval, tradeExecutionDefinition(deps, configs['trade-execution'])];
}
