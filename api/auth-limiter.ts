import type { Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../lib/errors';

/** Counts failed authentications per client address and refuses an address that spent its budget. */
export interface FailedAuthLimiter {
  /** Throws `too_many_failed_authentications` (429, `Retry-After` set on `res`) while `address` is blocked. */
  refuseIfBlocked(address: string, res: Response): Promise<void>;
  /** Counts one failure; throws like {@link refuseIfBlocked} when it was one too many. */
  recordFailure(address: string, res: Response): Promise<void>;
}

/**
 * `perMinute` failed authentications per client address per minute (rate-limiter-flexible, in memory: each API
 * process counts its own); the next one blocks the address for a minute. Only failures count, so valid keys never
 * spend the budget, and the webhook (signed, not keyed) never passes here.
 */
export function createFailedAuthLimiter(perMinute: number): FailedAuthLimiter {
  const limiter = new RateLimiterMemory({ keyPrefix: 'auth-fail', points: perMinute, duration: 60, blockDuration: 60 });
  const refuse = (res: Response, msBeforeNext: number): never =>
    refuseFor(res, msBeforeNext, 'too_many_failed_authentications', 'Too many failed authentications from this address');
  return {
    async refuseIfBlocked(address, res) {
      const state = await limiter.get(address);
      if (state && state.consumedPoints > perMinute) refuse(res, state.msBeforeNext);
    },
    async recordFailure(address, res) {
      try {
        await limiter.consume(address);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) refuse(res, rejection.msBeforeNext);
        throw rejection;
      }
    },
  };
}

/** Sets `Retry-After` (whole seconds, at least 1) and throws the 429 `code`. */
export function refuseFor(res: Response, msBeforeNext: number, code: 'too_many_requests' | 'too_many_failed_authentications', what: string): never {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  res.set('retry-after', String(seconds));
  throw new AppError(code, `${what}; retry in ${seconds} s`, { retryAfterSeconds: seconds });
}
