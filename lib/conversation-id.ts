/**
 * The conversation id: `wa:<phone number id>:<customer key>`, one per business number and customer (README
 * "Customers: one person, one conversation"), and also the conversation workflow's id. In lib/, the bottom layer, so
 * the store (erasure), the workflows' contract and the services read and write it with one rule.
 */

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
