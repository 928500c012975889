import path from 'node:path';
import type { WorkflowDefinition } from '../engine/definition';
import { definitions as builtIn } from '../../machines';

/** The definitions in machines/, plus those exported as `definitions` by EXTRA_DEFINITIONS modules. */
export function loadDefinitions(extra: string): WorkflowDefinition[] {
  const all = [...builtIn];
  for (const modulePath of extra.split(',').map((p) => p.trim()).filter(Boolean)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.resolve(modulePath)) as { definitions?: WorkflowDefinition[] };
    if (!Array.isArray(mod.definitions)) throw new Error(`${modulePath} exports no \`definitions\` array`);
    all.push(...mod.definitions);
  }
  return all;
}
