import type { RequestHandler } from 'express';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { principalOf } from './auth';
import { refuseFor } from './auth-limiter';

/**
 * Per-API-key request rate, after authentication: `perSecond` requests a second steady, plus a burst of twice as
 * many once per 10 s (rate-limiter-flexible's BurstyRateLimiter, in memory, per API process). Past it: 429
 * `too_many_requests` with `Retry-After`, before any work, so one key's flood costs others nothing. Keyed by the
 * key's public id, so re-issued secrets share nothing and another key's traffic is never counted here.
 */
export function keyRateLimit(perSecond: number): RequestHandler {
  const limiter = new BurstyRateLimiter(
    new RateLimiterMemory({ keyPrefix: 'key-rate', points: perSecond, duration: 1 }),
    new RateLimiterMemory({ keyPrefix: 'key-burst', points: perSecond * 2, duration: 10 }),
  );
  return async (_req, res, next) => {
    const { keyId } = principalOf(res);
    try {
      await limiter.consume(keyId);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) refuseFor(res, rejection.msBeforeNext, 'too_many_requests', 'This API key has used its request rate');
      throw rejection;
    }
    next();
  };
}
