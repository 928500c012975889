import { ROLES } from '../../auth/principal';
import { list, nullable, object, oneOfValues, page, ref, text, timestamp, uuid } from './dsl';

const principalProperties = {
  id: text(),
  displayName: text(),
  roles: list(oneOfValues(ROLES)),
  groups: list(text(), 'reviewer groups: which human tasks it may work on'),
  tenant: text(),
};
export const Principal = object(principalProperties, 'Who an API key belongs to');

const keyProperties = {
  id: uuid('the key id (for revocation); never the key'),
  keyPrefix: text('the first 8 characters of the key'),
  source: oneOfValues(['api', 'bootstrap', 'development']),
  createdAt: timestamp(),
  revokedAt: nullable(timestamp()),
};
export const ApiKey = object(keyProperties, 'An API key, as listed: never the key itself');
export const PrincipalListing = object({ ...principalProperties, createdAt: timestamp(), disabledAt: nullable(timestamp()), keys: list(ref('ApiKey')) });
export const PrincipalList = page('PrincipalListing', 'Principals by id');
export const IssuedApiKey = object(
  { principal: ref('Principal'), key: text('`stk_…`: shown here once, kept only as its SHA-256'), keyId: uuid(), keyPrefix: text() },
  'A new API key',
);
export const RevokedApiKey = object({ ...keyProperties, principalId: text(), tenant: text() }, 'The key, revoked');
