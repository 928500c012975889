import { existsSync } from 'node:fs';
import path from 'node:path';
import { createJiti } from 'jiti';
import type { WorkflowDefinition } from '../engine/definition/definition';
import { PartnersClient } from '../partners';
import { createDefinitions, PROCESS_TYPES, type ProcessConfigs } from '../../machines';
import { PreflightError } from './preflight';

/** The processes in machines/, reaching the partner APIs at `partnersUrl`. */
export function loadDefinitions(partnersUrl: string, configs: ProcessConfigs = {}): WorkflowDefinition[] {
  return createDefinitions({ partners: new PartnersClient({ baseUrl: partnersUrl }) }, configs);
}

/**
 * The `definitions` exported by each EXTRA_DEFINITIONS module: TypeScript, an ES module or
 * CommonJS, loaded with jiti (which transpiles TypeScript and ESM syntax on the fly and hands
 * plain CommonJS to Node's own loader, so `statera` imported by the module is the copy the
 * engine runs: one require cache, one set of classes).
 */
export async function loadExtraDefinitions(extra = ''): Promise<WorkflowDefinition[]> {
  const all: WorkflowDefinition[] = [];
  for (const modulePath of extra.split(',').map((p) => p.trim()).filter(Boolean)) {
    const mod = await loadModule(modulePath);
    const definitions = mod.definitions ?? mod.default?.definitions;
    if (!Array.isArray(definitions)) {
      throw new PreflightError(`EXTRA_DEFINITIONS=${modulePath} exports no \`definitions\` array: export \`definitions = [defineWorkflow({...})]\` from it`);
    }
    const notDefinitions = definitions.findIndex((d) => !d || typeof d !== 'object' || typeof (d as WorkflowDefinition).type !== 'string' || !(d as WorkflowDefinition).machine);
    if (notDefinitions >= 0) {
      throw new PreflightError(`EXTRA_DEFINITIONS=${modulePath}: definitions[${notDefinitions}] is not a defineWorkflow({...}) result`);
    }
    all.push(...definitions);
  }
  return all;
}

type DefinitionsModule = { definitions?: WorkflowDefinition[]; default?: { definitions?: WorkflowDefinition[] } };

const jiti = createJiti(__filename, { fsCache: false, moduleCache: true, interopDefault: false });

/** Loads one EXTRA_DEFINITIONS module; a failure is one line that says what to do, not a stack. */
async function loadModule(modulePath: string): Promise<DefinitionsModule> {
  const resolved = path.resolve(modulePath);
  if (!existsSync(resolved)) throw new PreflightError(`EXTRA_DEFINITIONS=${modulePath}: no such file`);
  try {
    return (await jiti.import(resolved)) as DefinitionsModule;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const first = String(e.message ?? err).split('\n')[0];
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(first)?.[1];
    const why = missing
      ? missing.startsWith('.') || path.isAbsolute(missing)
        ? `it imports '${missing}', which does not exist`
        : `it imports '${missing}', which is not installed where the module is: run npm install ${packageName(missing)} next to it${/^(xstate|zod)$/.test(packageName(missing)) ? ` (or import it from 'statera/${packageName(missing)}', the engine's own copy)` : ''}`
      : e.code === 'ERR_UNSUPPORTED_DIR_IMPORT'
        ? `it imports a folder: ${first}`
        : e instanceof SyntaxError || /Unexpected token|Expected|SyntaxError/.test(first)
          ? `it does not parse: ${first}`
          : `it failed to load: ${first}`;
    throw new PreflightError(`EXTRA_DEFINITIONS=${modulePath}: ${why}`);
  }
}

function packageName(specifier: string): string {
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
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
