import { createDefinitions, type ProcessConfigs } from '../../machines';
import { seedDemoAccounts } from '../../machines/shared/demo-accounts';
import { SandboxClient } from '../../src/sandbox/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server';
import { startHttpApp, type HttpHarness } from './http-app';

export interface ProcessesApp {
  api: HttpHarness;
  sandbox: RunningSandbox;
  partners: SandboxClient;
  close(): Promise<void>;
}

/** The real application with every process, against a sandbox of its own with the demo accounts open. */
export async function startProcessesApp(label: string, configs: ProcessConfigs = {}): Promise<ProcessesApp> {
  const sandbox = await startSandbox({ port: 0 });
  const partners = new SandboxClient({ baseUrl: sandbox.url, timeoutMs: 5000 });
  await seedDemoAccounts(partners);
  const api = await startHttpApp(label, [], { definitions: createDefinitions({ partners }, configs) });
  return {
    api,
    sandbox,
    partners,
    async close() {
      await api.close();
      await sandbox.close();
    },
  };
}
