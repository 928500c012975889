import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { ApiKeyService, IssuedKey } from './api-key.service';
import { ROLES, type Principal } from './principal';

export const BOOTSTRAP_ADMIN: Principal = { id: 'admin', displayName: 'Administrator', roles: [...ROLES], groups: [], tenant: 'default' };

/** Who works the sample processes in development: the demo plays the operator. */
export const SAMPLE_PRINCIPALS: readonly Principal[] = [
  { id: 'ops-1', displayName: 'Operator One', roles: ['operator'], groups: [], tenant: 'default' },
  { id: 'reviewer-1', displayName: 'Reviewer One', roles: ['reviewer'], groups: ['underwriters', 'fraud-analysts'], tenant: 'default' },
  { id: 'reviewer-2', displayName: 'Reviewer Two', roles: ['reviewer'], groups: ['underwriters', 'compliance'], tenant: 'default' },
  // Four-eyes holds over a workflow tree: a loan whose KYC review and first underwriting took two
  // reviewers needs a third for its second approval.
  { id: 'reviewer-3', displayName: 'Reviewer Three', roles: ['reviewer'], groups: ['underwriters'], tenant: 'default' },
  { id: 'auditor-1', displayName: 'Auditor One', roles: ['auditor'], groups: [], tenant: 'default' },
];

export const DEV_KEYS_FILE = path.join('.statera', 'dev-keys.json');

export interface DevKeysFile {
  createdAt: string;
  principals: (Principal & { key: string })[];
}

export interface BootstrapOptions {
  /** STATERA_BOOTSTRAP_ADMIN_KEY. */
  adminKey?: string;
  /** Development (SANDBOX=true): create the sample principals when there is none. */
  samples: boolean;
  /** Where the sample keys are written (0600) for `npm run demo`. */
  devKeysFile: string;
  /** Where the API listens, for the example in the printed block. */
  apiUrl?: string;
  write: (text: string) => void;
  log: (message: string) => void;
}

/**
 * At startup: the bootstrap admin's key, then, on a first start in development with no
 * principal at all, the sample principals, whose keys are printed once and written to a
 * file only the owner can read. Keys are never logged otherwise.
 */
export async function bootstrapPrincipals(keys: ApiKeyService, o: BootstrapOptions): Promise<IssuedKey[]> {
  if (o.adminKey) {
    await keys.ensureBootstrapKey(BOOTSTRAP_ADMIN, o.adminKey);
    o.log(`principal ${BOOTSTRAP_ADMIN.id} (every role) has the key in STATERA_BOOTSTRAP_ADMIN_KEY`);
  }
  if (!o.samples) return [];
  const issued = await keys.createIfNone(SAMPLE_PRINCIPALS);
  if (issued.length === 0) return [];
  const saved = await saveDevKeys(o.devKeysFile, issued).then(
    () => true,
    (err: Error) => (o.log(`could not write ${o.devKeysFile} (${err.message}); the keys are only in this output`), false),
  );
  o.write(renderKeys(issued, saved ? o.devKeysFile : undefined, o.apiUrl ?? 'http://127.0.0.1:3000'));
  return issued;
}

async function saveDevKeys(file: string, issued: readonly IssuedKey[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const content: DevKeysFile = { createdAt: new Date().toISOString(), principals: issued.map((i) => ({ ...i.principal, key: i.key })) };
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  // The mode only applies when the file is created; an older file keeps its own.
  await chmod(file, 0o600);
}

function renderKeys(issued: readonly IssuedKey[], file: string | undefined, apiUrl: string): string {
  const rule = '─'.repeat(100);
  const who = (i: IssuedKey) => `${i.principal.id} (${i.principal.roles.join(', ')}${i.principal.groups.length ? `; ${i.principal.groups.join(', ')}` : ''})`;
  const width = Math.max(...issued.map((i) => who(i).length));
  return [
    rule,
    ` Development API keys, shown this once${file ? ` (also in ${file}, mode 0600, which npm run demo reads)` : ''}:`,
    '',
    ...issued.map((i) => `   ${who(i).padEnd(width)}  ${i.key}`),
    '',
    `   curl -H "Authorization: Bearer <key>" ${apiUrl}/v1/workflows`,
    rule,
    '',
  ].join('\n');
}

export class PrincipalBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly options: BootstrapOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await bootstrapPrincipals(this.keys, this.options);
  }
}
