import type { WorkflowDefinition } from '../src/engine';
import { demoTransfer } from './demo-transfer';

/** Every definition the application registers. */
export const definitions: WorkflowDefinition[] = [demoTransfer];
