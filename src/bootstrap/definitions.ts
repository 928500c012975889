import path from 'node:path';
import type { WorkflowDefinition } from '../engine/definition';
import { SandboxClient } from '../sandbox/client';
import { createDefinitions } from '../../machines';

/** The processes in machines/ (reaching partners at `partnersUrl`), plus `definitions` exported by EXTRA_DEFINITIONS modules. */
export function loadDefinitions(partnersUrl: string, extra = ''): WorkflowDefinition[] {
  const all = createDefinitions({ partners: new SandboxClient({ baseUrl: partnersUrl }) });
  for (const modulePath of extra.split(',').map((p) => p.trim()).filter(Boolean)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.resolve(modulePath)) as { definitions?: WorkflowDefinition[] };
    if (!Array.isArray(mod.definitions)) throw new Error(`${modulePath} exports no \`definitions\` array`);
    all.push(...mod.definitions);
  }
  return all;
}
