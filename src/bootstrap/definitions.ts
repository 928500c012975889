import path from 'node:path';
import type { WorkflowDefinition } from '../engine/definition/definition';
import { SandboxClient } from '../sandbox/client';
import { createDefinitions, PROCESS_TYPES, type ProcessConfigs } from '../../machines';

/** The processes in machines/ (reaching partners at `partnersUrl`), plus `definitions` exported by EXTRA_DEFINITIONS modules. */
export function loadDefinitions(partnersUrl: string, extra = '', configs: ProcessConfigs = {}): WorkflowDefinition[] {
  const all = createDefinitions({ partners: new SandboxClient({ baseUrl: partnersUrl }) }, configs);
  for (const modulePath of extra.split(',').map((p) => p.trim()).filter(Boolean)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.resolve(modulePath)) as { definitions?: WorkflowDefinition[] };
    if (!Array.isArray(mod.definitions)) throw new Error(`${modulePath} exports no \`definitions\` array`);
    all.push(...mod.definitions);
  }
  return all;
}

/** PROCESS_CONFIG: a JSON object of configuration overrides by process type. */
export function parseProcessConfig(json: string | undefined): ProcessConfigs {
  if (!json) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`invalid configuration: PROCESS_CONFIG is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('invalid configuration: PROCESS_CONFIG must be a JSON object by process type');
  const unknown = Object.keys(parsed).filter((k) => !(PROCESS_TYPES as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`invalid configuration: PROCESS_CONFIG names unknown process types ${unknown.join(', ')} (known: ${PROCESS_TYPES.join(', ')})`);
  return parsed as ProcessConfigs;
}

/** Sandbox timings first (when the sandbox runs), PROCESS_CONFIG over them. */
export function mergeProcessConfigs(...layers: ProcessConfigs[]): ProcessConfigs {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const layer of layers) for (const [type, config] of Object.entries(layer)) merged[type] = { ...merged[type], ...config };
  return merged as ProcessConfigs;
}
