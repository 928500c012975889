import type { WorkflowDefinition } from '../src/engine';
import { demoTransfer } from './demo-transfer';
import type { ProcessDeps } from './shared/process-deps';
import { tradeExecutionDefinition } from './trade-execution';

/** Every definition the application registers; children are built first so parents invoke the very machines registered. */
export function createDefinitions(deps: ProcessDeps): WorkflowDefinition[] {
  return [demoTransfer, tradeExecutionDefinition(deps)];
}
