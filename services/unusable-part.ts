import type { DeadLetterReason } from '../store/dead-letters.store';

/**
 * A part of a webhook the connector can never use, whatever it retries: kept as a dead letter of `reason`, never a
 * 5xx (api/webhook.failures.ts `orDeadLetter`). The use cases' own refusals (a message or call naming nobody, a
 * misaddressed echo) are kinds of it, so the webhook knows them all by this one class.
 */
export class UnusablePart extends Error {
  constructor(
    readonly reason: DeadLetterReason,
    detail: string,
  ) {
    super(detail);
    this.name = 'UnusablePart';
  }
}
