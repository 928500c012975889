import { SetMetadata } from '@nestjs/common';
import { DomainError } from '../engine/errors/domain.error';
import { isAdmin, type Principal, type Role } from './principal';

export const ROLES_KEY = 'statera:roles';

/**
 * The roles that may call a handler (any one of them); `admin` and `platform-admin` pass every check. Without
 * it, any authenticated principal may call. Checked by the global auth guard.
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** 403 naming the roles required, never what the principal has or who it is. */
export function assertRole(principal: Principal, required: readonly Role[] | undefined): void {
  if (!required?.length || isAdmin(principal) || required.some((r) => principal.roles.includes(r))) return;
  throw new DomainError('forbidden', `this requires the role ${required.join(' or ')}`, { requiredRoles: [...required] });
}
