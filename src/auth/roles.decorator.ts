import { SetMetadata } from '@nestjs/common';
import { DomainError } from '../engine/errors/domain.error';
import type { Principal, Role } from './principal';

export const ROLES_KEY = 'statera:roles';

/**
 * The roles that may call a handler (any one of them); `admin` passes every check. Without
 * it, any authenticated principal may call. Checked by the global auth guard.
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** 403 naming the roles required, never what the principal has or who it is. */
export function assertRole(principal: Principal, required: readonly Role[] | undefined): void {
  if (!required?.length || principal.roles.includes('admin') || required.some((r) => principal.roles.includes(r))) return;
  throw new DomainError('forbidden', `this requires the role ${required.join(' or ')}`, { requiredRoles: [...required] });
}
