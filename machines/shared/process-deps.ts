import type { SandboxClient } from '../../src/sandbox/client';

/** What a process's activities need from outside: the partners, reached over HTTP only. */
export interface ProcessDeps {
  partners: SandboxClient;
}
