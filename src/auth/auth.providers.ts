import { Logger, type Provider } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import path from 'node:path';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { ApiKeyService } from './api-key.service';
import { AuthGuard } from './auth.guard';
import { RATE_LIMITER, rateLimiterFor } from './rate-limiter.provider';
import { TenantScopeGuard } from './tenant-scope';
import { DEV_KEYS_FILE, PrincipalBootstrap } from './bootstrap-principals';

export { AdminController } from './admin.controller';

/** What an HTTP process needs for API keys: the service, the global guard, the start-up principals. */
export function authProviders(config: AppConfig): Provider[] {
  const logger = new Logger('auth');
  return [
    { provide: ApiKeyService, inject: [DataSource], useFactory: (ds: DataSource) => new ApiKeyService(ds) },
    // The key is resolved before the body is read (authenticate.middleware.ts); the guard checks the principal's roles.
    { provide: APP_GUARD, inject: [Reflector], useFactory: (reflector: Reflector) => new AuthGuard(reflector) },
    { provide: RATE_LIMITER, useFactory: () => (config.RATE_LIMIT ? rateLimiterFor(config, logger) : null) },
    // After the auth guard (global guards run in the order provided): confines the request to a tenant.
    { provide: APP_GUARD, useClass: TenantScopeGuard },
    {
      provide: PrincipalBootstrap,
      inject: [ApiKeyService],
      useFactory: (keys: ApiKeyService) =>
        new PrincipalBootstrap(keys, {
          adminKey: config.STATERA_BOOTSTRAP_ADMIN_KEY,
          samples: config.SANDBOX,
          devKeysFile: path.resolve(DEV_KEYS_FILE),
          apiUrl: `http://${config.HOST}:${config.PORT}`,
          write: (text) => void process.stdout.write(text),
          log: (message) => logger.log(message),
        }),
    },
  ];
}
