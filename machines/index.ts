import type { WorkflowDefinition } from '../src/engine';
import { demoTransfer } from './demo-transfer';
import type { ProcessDeps } from './shared/process-deps';

/** Every definition the application registers; children are built first so parents invoke the very machines registered. */
export function createDefinitions(_deps: ProcessDeps): WorkflowDefinition[] {
  return [demoTransfer];
}
