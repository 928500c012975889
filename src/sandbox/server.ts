import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSandbox, type SandboxOptions } from './app';
import type { SandboxRuntime } from './runtime';

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Loopback by default: the sandbox has no authentication and must not be exposed. */
  host?: string;
}

export interface RunningSandbox {
  url: string;
  port: number;
  /** Direct access for in-process tests (stats, clock) without going through HTTP. */
  runtime: SandboxRuntime;
  close(): Promise<void>;
}

export async function startSandbox({ port = 0, host = '127.0.0.1', ...options }: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const { app, runtime } = buildSandbox(options);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${address.port}`,
    port: address.port,
    runtime,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        // Wake hung/latent requests first, then drop keep-alive sockets so close() is prompt.
        runtime.shutdown();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
