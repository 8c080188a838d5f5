/**
 * The items of a webhook body the simulator delivers, with the business number each came to: Meta's envelope
 * `entry[].changes[]` with `field` and `value.metadata.phone_number_id`, the items in `value.messages[]` or
 * `value.calls[]` (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview).
 * Every observer of delivered webhooks (windows, blocks, call permissions, messages a read or reaction names) reads
 * them through this one walk. Items are typed by the caller; nothing is checked beyond being there.
 */
export interface WebhookItem<T> {
  /** `changes[].field`: `messages` for messages, `calls` for calls. */
  field: string | undefined;
  /** `value.metadata.phone_number_id`; items without one are left out. */
  phoneNumberId: string;
  item: T;
}

/**
 * When WhatsApp received an item, epoch ms, from its `timestamp` (epoch seconds, as a string): never later than now,
 * since a phone whose clock runs fast dates its messages ahead and WhatsApp counts its rules (the service window, who
 * may be blocked, what may still be marked read) from its own receipt; now when there is none.
 */
export const receivedAt = (timestamp: string | undefined): number => Math.min(Number(timestamp ?? 0) * 1000 || Date.now(), Date.now());

type Change = { field?: string; value?: { metadata?: { phone_number_id?: unknown } } & Record<string, unknown> };

/** The `messages` (or `calls`) items of `body`, in order. */
export function webhookItems<T extends object>(body: unknown, list: 'messages' | 'calls'): WebhookItem<Partial<T>>[] {
  const entries = (body as { entry?: { changes?: Change[] }[] } | undefined)?.entry ?? [];
  return entries.flatMap((entry) => entry.changes ?? []).flatMap((change) => {
    const phoneNumberId = change.value?.metadata?.phone_number_id;
    const items = change.value?.[list];
    if (typeof phoneNumberId !== 'string' || !phoneNumberId || !Array.isArray(items)) return [];
    return items.map((item) => ({ field: change.field, phoneNumberId, item: item as Partial<T> }));
  });
}
