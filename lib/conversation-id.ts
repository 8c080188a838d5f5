/**
 * The conversation id: `wa:<phone number id>:<customer key>`, one per business number and customer (README
 * "Customers: one person, one conversation"), and also the conversation workflow's id. In lib/, the bottom layer, so
 * the store (erasure), the workflows' contract and the services read and write it with one rule.
 */
import { isWrittenAsNumber, normaliseCustomerNumber } from './phone-numbers';

/** `wa:<business number id>:<customer key>` (the key: the customer's `user_id` where WhatsApp gives one, else `wa_id`). */
export function conversationWorkflowId(businessNumberId: string, customerKey: string): string {
  return `wa:${businessNumberId}:${customerKey}`;
}

/**
 * The inverse of {@link conversationWorkflowId}: the business number (digits, up to 64) and the customer key (the
 * rest, colons included), or null for any other shape.
 */
export function conversationIdParts(conversationId: string): { businessNumberId: string; customerKey: string } | null {
  const parts = /^wa:(\d{1,64}):(.+)$/.exec(conversationId);
  return parts ? { businessNumberId: parts[1]!, customerKey: parts[2]! } : null;
}

/** A wa_id is bare digits that never start with 0 (no country code does); a BSUID starts with two letters. */
const WA_ID = /^[1-9]\d*$/;

/**
 * A customer key (or an identifier that may be one) as WhatsApp writes it: a number written `+1 555-123-4567` or
 * `0015551234567` is its wa_id `15551234567`; a wa_id, a BSUID or anything else not written as a number is answered
 * as given. `undefined` when it is written as a number but is none. Only the writing changes: the registry's national
 * variants (Mexico's `521`/`52`…) are not applied here.
 */
export function normaliseCustomerKey(key: string): string | undefined {
  // Written as a number by the same rule as the number check, so every writing it takes names the same person here.
  if (WA_ID.test(key) || !isWrittenAsNumber(key)) return key;
  return normaliseCustomerNumber(key);
}

/**
 * A conversation id with its customer part as a body's `customer.waId` would be taken ({@link normaliseCustomerKey}):
 * `wa:<id>:+1 555-123-4567` and `wa:<id>:0015551234567` are `wa:<id>:15551234567`. Another shape is answered as given;
 * `undefined` when the customer part is written as a number but is none.
 */
export function normaliseConversationId(conversationId: string): string | undefined {
  const parts = conversationIdParts(conversationId);
  if (!parts) return conversationId;
  const key = normaliseCustomerKey(parts.customerKey);
  return key === undefined ? undefined : conversationWorkflowId(parts.businessNumberId, key);
}
