import { createDefinitions, type ProcessConfigs } from '../../machines';
import type { WorkflowDefinition } from '../../src/engine';
import { seedDemoAccounts } from '../../machines/shared/demo-accounts';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startHttpApp, type HttpHarness } from './http-app';
import { waitFor } from './env';

export interface ProcessesApp {
  api: HttpHarness;
  sandbox: RunningSandbox;
  partners: SandboxClient;
  /** GET /v1/workflows/{id} as the admin. */
  get(id: string): Promise<any>;
  /** Polls the workflow until `what` holds (30 s at most). */
  until(id: string, what: (w: any) => boolean, label: string): Promise<any>;
  close(): Promise<void>;
}

/**
 * The real application with every process, against a sandbox of its own with the demo accounts
 * open; `extra` adds definitions built from the same ones (another version of a process, say).
 */
export async function startProcessesApp(label: string, configs: ProcessConfigs = {}, extra?: (registered: WorkflowDefinition[], partners: SandboxClient) => WorkflowDefinition[]): Promise<ProcessesApp> {
  const sandbox = await startSandbox({ port: 0 });
  const partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5000 });
  await seedDemoAccounts(partners);
  const definitions = createDefinitions({ partners }, configs);
  const api = await startHttpApp(label, [], { definitions: [...definitions, ...(extra?.(definitions, partners) ?? [])] });
  const get = async (id: string) => (await api.request('GET', `/v1/workflows/${encodeURIComponent(id)}`)).body;
  return {
    api,
    sandbox,
    partners,
    get,
    until: (id, what, label) =>
      waitFor(async () => {
        const w = await get(id);
        return what(w) ? w : undefined;
      }, `${id}: ${label}`, 30_000, 100),
    async close() {
      await api.close();
      await sandbox.close();
    },
  };
}
