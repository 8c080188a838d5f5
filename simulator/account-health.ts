/**
 * Account-health and marketing-preference webhooks, as Meta's webhooks reference documents each payload, and the
 * controls that send them (`POST /_sim/account-health/:field`). Also the per-recipient refusals of marketing
 * templates: a person who stopped marketing messages gets 131050, one past WhatsApp's per-user marketing limit 131049,
 * each reported asynchronously by a `failed` status webhook as the error-codes page describes.
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_quality_update
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_alerts
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 */
import type { Express } from 'express';
import { META_ERRORS } from './errors';
import { DEFAULT_DISPLAY_PHONE_NUMBER } from './cloud-api.payloads';

const nowSeconds = () => Math.floor(Date.now() / 1000);

const change = (wabaId: string, field: string, value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: wabaId, time: nowSeconds(), changes: [{ value, field }] }],
});

/** `account_update`: restriction (`restriction_info[]`), disable or reinstate (`ban_info`), violation (`violation_info`). */
export const accountUpdateWebhook = (o: {
  wabaId: string;
  event: string;
  banState?: string;
  banDate?: string;
  restrictions?: { type: string; expiration?: string }[];
  violationType?: string;
}) =>
  change(o.wabaId, 'account_update', {
    event: o.event,
    ...(o.banState ? { ban_info: { waba_ban_state: o.banState, waba_ban_date: o.banDate ?? new Date().toDateString() } } : {}),
    ...(o.restrictions ? { restriction_info: o.restrictions.map((r) => ({ restriction_type: r.type, ...(r.expiration ? { expiration: r.expiration } : {}) })) } : {}),
    ...(o.violationType ? { violation_info: { violation_type: o.violationType } } : {}),
  });

/** `phone_number_quality_update`: names the number by its display number; `old_limit` only for limit changes. */
export const phoneQualityWebhook = (o: { wabaId: string; displayPhoneNumber: string; event: string; currentLimit?: string; oldLimit?: string; maxDaily?: string }) =>
  change(o.wabaId, 'phone_number_quality_update', {
    display_phone_number: o.displayPhoneNumber,
    event: o.event,
    ...(o.oldLimit ? { old_limit: o.oldLimit } : {}),
    current_limit: o.currentLimit ?? 'TIER_2K',
    ...(o.maxDaily ? { max_daily_conversations_per_business: o.maxDaily } : {}),
  });

/** `account_alerts`: an alert on the business portfolio (BUSINESS) or a number (PHONE_NUMBER). */
export const accountAlertsWebhook = (o: { wabaId: string; entityType: string; entityId: string; severity: string; status?: string; type: string; description: string }) =>
  change(o.wabaId, 'account_alerts', {
    entity_type: o.entityType,
    entity_id: o.entityId,
    alert_info: { alert_severity: o.severity, alert_status: o.status ?? 'ACTIVE', alert_type: o.type, alert_description: o.description },
  });

/** `user_preferences`: the person stopped or resumed marketing messages (Offers and announcements). */
export const userPreferencesWebhook = (o: { wabaId: string; phoneNumberId: string; displayPhoneNumber: string; waId: string; name?: string; value: 'stop' | 'resume'; timestamp?: number }) =>
  change(o.wabaId, 'user_preferences', {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: o.displayPhoneNumber, phone_number_id: o.phoneNumberId },
    contacts: [{ ...(o.name ? { profile: { name: o.name } } : {}), wa_id: o.waId }],
    user_preferences: [
      {
        wa_id: o.waId,
        detail: o.value === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages',
        category: 'marketing_messages',
        value: o.value,
        timestamp: o.timestamp ?? nowSeconds(),
      },
    ],
  });

const builders = {
  account_update: accountUpdateWebhook,
  phone_number_quality_update: phoneQualityWebhook,
  account_alerts: accountAlertsWebhook,
  user_preferences: userPreferencesWebhook,
} as const;

const digits = (to: string) => to.replace(/\D/g, '');

/** Who refuses marketing templates, and the controls that send the account-health webhooks. */
export function installAccountHealth(app: Express, deps: { deliverWebhook: (body: object) => Promise<unknown>; defaultWabaId: string }) {
  const stopped = new Set<string>();
  const limited = new Set<string>();

  /** { marketingLimited?: string[] }: those recipients are past the per-user marketing limit (131049). Before `:field`. */
  app.post('/_sim/account-health/recipients', (req, res) => {
    for (const to of (req.body as { marketingLimited?: string[] }).marketingLimited ?? []) limited.add(digits(to));
    res.status(204).end();
  });

  app.post('/_sim/account-health/:field', async (req, res) => {
    const field = req.params.field as keyof typeof builders;
    const build = builders[field] as ((o: never) => object) | undefined;
    if (!build) return void res.status(404).json({ error: `no webhook ${field}; one of ${Object.keys(builders).join(', ')}` });
    // The simulator's own number unless told otherwise, as its inbound webhooks have it (cloud-api.payloads.ts).
    const options: Record<string, unknown> = { wabaId: deps.defaultWabaId, displayPhoneNumber: DEFAULT_DISPLAY_PHONE_NUMBER, ...(req.body as Record<string, unknown>) };
    // The person's choice holds at WhatsApp from now on: their marketing templates are refused with 131050.
    if (field === 'user_preferences') {
      const waId = digits(String(options.waId));
      if (options.value === 'stop') stopped.add(waId);
      else stopped.delete(waId);
    }
    const body = build(options as never);
    res.json({ delivery: await deps.deliverWebhook(body), body });
  });

  return {
    /** The refusal WhatsApp reports for a marketing template to this recipient, if any. */
    marketingRefusal(to: string): { code: number; title: string; details: string } | undefined {
      const key = digits(to);
      if (stopped.has(key)) return { code: 131050, title: META_ERRORS[131050]!.title, details: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.' };
      if (limited.has(key)) return { code: 131049, title: META_ERRORS[131049]!.title, details: 'This message was not delivered to maintain healthy ecosystem engagement.' };
      return undefined;
    },
    stopMarketing: (to: string) => void stopped.add(digits(to)),
    limitMarketing: (to: string) => void limited.add(digits(to)),
  };
}
