import { z } from 'zod';
import { ROLES } from './principal';

const name = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const nameMessage = 'letters, digits, ".", "_", "@" and "-", at most 128, starting with a letter or digit';

/** Everything a principal is; server-owned fields (createdAt, disabledAt, keys) are refused, not ignored. */
export const issueApiKeySchema = z.strictObject({
  principal: z.strictObject({
    id: z.string().regex(name, nameMessage),
    displayName: z.string().trim().min(1).max(200),
    roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
    groups: z.array(z.string().regex(name, nameMessage)).max(50).default([]),
    /** Default: the caller's own tenant; only a platform admin may name another. */
    tenant: z.string().regex(name, nameMessage).optional(),
  }),
});

export const listPrincipalsSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(128).optional(),
});

export const keyIdSchema = z.uuid();
