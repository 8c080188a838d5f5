/**
 * Who a send reaches, as the Cloud API answers it: the message types it takes at all (else 131051), the `wa_id` it
 * resolves the `to` to (Meta normalises the number it was given: it may differ from `to`), and recipients it accepts
 * a message for but cannot deliver to (131026, reported asynchronously by a `failed` status webhook).
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages (the response's contacts[])
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes (131026, 131051)
 */
import type { Express } from 'express';
import { META_ERRORS, refusal, type MetaRefusal } from './errors';

/** Message types the Cloud API sends (messages reference); anything else is refused with 131051. */
export const MESSAGE_TYPES = ['text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'interactive', 'template', 'reaction'];

export function checkMessageType(body: unknown): MetaRefusal | undefined {
  const type = (body as { type?: unknown } | undefined)?.type ?? 'text';
  return MESSAGE_TYPES.includes(String(type)) ? undefined : refusal(131051, `Message type ${String(type)} is not supported`);
}

export function createRecipients(app: Express) {
  const unreachable = new Set<string>();
  const waIds = new Map<string, string>();
  const digits = (to: string) => to.replace(/\D/g, '');

  const api = {
    /** Meta answers the number in its canonical form: digits only, or the id set for it. */
    waIdFor: (to: string) => waIds.get(digits(to)) ?? digits(to),
    isUnreachable: (to: string) => unreachable.has(digits(to)),
    setUnreachable: (to: string) => void unreachable.add(digits(to)),
    setWaId: (to: string, waId: string) => void waIds.set(digits(to), waId),
    undeliverable: () => ({ code: 131026, title: META_ERRORS[131026]!.title, details: 'Message failed to send because of an unknown error with the recipient (not on WhatsApp, old app version, or terms not accepted).' }),
  };

  /** Controls: { unreachable?: string[], waIds?: { [to]: waId } }. */
  app.post('/_sim/recipients', (req, res) => {
    const body = req.body as { unreachable?: string[]; waIds?: Record<string, string> };
    for (const to of body.unreachable ?? []) api.setUnreachable(to);
    for (const [to, waId] of Object.entries(body.waIds ?? {})) api.setWaId(to, waId);
    res.status(204).end();
  });
  return api;
}
