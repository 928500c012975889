import path from 'node:path';
import type { WorkflowDefinition } from '../engine/definition/definition';
import { SandboxClient } from '../sandbox/client';
import { createDefinitions, PROCESS_TYPES, type ProcessConfigs } from '../../machines';
import { PreflightError } from './preflight';

/** The processes in machines/ (reaching partners at `partnersUrl`), plus `definitions` exported by EXTRA_DEFINITIONS modules. */
export function loadDefinitions(partnersUrl: string, extra = '', configs: ProcessConfigs = {}): WorkflowDefinition[] {
  const all = createDefinitions({ partners: new SandboxClient({ baseUrl: partnersUrl }) }, configs);
  for (const modulePath of extra.split(',').map((p) => p.trim()).filter(Boolean)) {
    const mod = loadModule(modulePath);
    if (!Array.isArray(mod.definitions)) {
      throw new PreflightError(`EXTRA_DEFINITIONS=${modulePath} exports no \`definitions\` array: export \`definitions = [defineWorkflow({...})]\` from it`);
    }
    all.push(...mod.definitions);
  }
  return all;
}

const COMPILE = 'compile it to CommonJS JavaScript first (tsc --module commonjs) and point EXTRA_DEFINITIONS at the .js';

/** Requires one EXTRA_DEFINITIONS module; a failure is one line that says what to do, not a stack. */
function loadModule(modulePath: string): { definitions?: WorkflowDefinition[] } {
  const resolved = path.resolve(modulePath);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(resolved) as { definitions?: WorkflowDefinition[] };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const first = String(e.message ?? err).split('\n')[0];
    const missing = /Cannot find module '([^']+)'/.exec(first)?.[1];
    const why =
      e.code === 'MODULE_NOT_FOUND' && (missing === resolved || missing === modulePath)
        ? 'no such file'
        : e.code === 'MODULE_NOT_FOUND' && missing
          ? `it requires '${missing}', which is not installed where the module is: run npm install ${missing.split('/').slice(0, missing.startsWith('@') ? 2 : 1).join('/')} next to it`
          : e.code === 'ERR_UNKNOWN_FILE_EXTENSION' || resolved.endsWith('.ts') || resolved.endsWith('.mts')
            ? `TypeScript is not loaded at run time: ${COMPILE}`
            : e.code === 'ERR_REQUIRE_ESM' || /Cannot use import statement|Unexpected token 'export'/.test(first)
              ? `it is an ES module; ${COMPILE}`
              : e.code === 'ERR_UNSUPPORTED_DIR_IMPORT'
                ? `it imports a folder: ${first}`
                : `it failed to load: ${first}`;
    throw new PreflightError(`EXTRA_DEFINITIONS=${modulePath}: ${why}`);
  }
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
