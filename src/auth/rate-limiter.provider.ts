import type { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { RateLimiter } from './rate-limiter';

/** The process's rate limiter, or null with RATE_LIMIT=false. */
export const RATE_LIMITER = Symbol('RateLimiter');

/** Closes its Redis connection once the HTTP server has stopped taking requests. */
class ManagedRateLimiter extends RateLimiter implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

export function rateLimiterFor(config: AppConfig, logger: Logger): RateLimiter {
  return new ManagedRateLimiter({
    redisUrl: config.REDIS_URL,
    keyPrefix: config.QUEUE_PREFIX,
    limits: config.RATE_LIMITS,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    authFailures: config.RATE_LIMIT_AUTH_FAILURES,
    authWindowMs: config.RATE_LIMIT_AUTH_WINDOW_MS,
    log: (level, message, fields) => (level === 'warn' ? logger.warn({ msg: message, ...fields }) : logger.log({ msg: message, ...fields })),
  });
}
