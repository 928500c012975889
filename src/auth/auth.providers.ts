import { Logger, type Provider } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import path from 'node:path';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { ApiKeyService } from './api-key.service';
import { AuthGuard } from './auth.guard';
import { DEV_KEYS_FILE, PrincipalBootstrap } from './bootstrap-principals';

export { AdminController } from './admin.controller';

/** What an HTTP process needs for API keys: the service, the global guard, the start-up principals. */
export function authProviders(config: AppConfig): Provider[] {
  const logger = new Logger('auth');
  return [
    { provide: ApiKeyService, inject: [DataSource], useFactory: (ds: DataSource) => new ApiKeyService(ds) },
    { provide: APP_GUARD, inject: [Reflector, ApiKeyService], useFactory: (reflector: Reflector, keys: ApiKeyService) => new AuthGuard(reflector, keys) },
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
