import type { PartnersClient } from '../../src/partners';

/** What a process's activities need from outside: the partners, reached over HTTP only. */
export interface ProcessDeps {
  partners: PartnersClient;
}
