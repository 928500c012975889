import type { WorkflowDefinition } from '../src/engine';
import { demoTransfer } from './demo-transfer';
import { fraudCheckDefinition } from './fraud-check';
import { kycVerificationDefinition } from './kyc-verification';
import { loanApprovalDefinition } from './loan-approval';
import { paymentSettlementDefinition } from './payment-settlement';
import type { ProcessDeps } from './shared/process-deps';
import { tradeExecutionDefinition } from './trade-execution';

/** Every definition the application registers; children first, so parents invoke the very machines registered. */
export function createDefinitions(deps: ProcessDeps): WorkflowDefinition[] {
  const fraudCheck = fraudCheckDefinition(deps);
  const kycVerification = kycVerificationDefinition(deps);
  const paymentSettlement = paymentSettlementDefinition(deps, {}, { fraudCheck: fraudCheck.machine });
  const loanApproval = loanApprovalDefinition(deps, {}, { kycVerification: kycVerification.machine, paymentSettlement: paymentSettlement.machine });
  return [demoTransfer, fraudCheck, kycVerification, paymentSettlement, loanApproval, tradeExecutionDefinition(deps)];
}
