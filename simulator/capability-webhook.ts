/**
 * The `business_capability_update` webhook, as Meta documents it: the entry is the WhatsApp Business Account, `time`
 * its trigger time (epoch s), and the value the business portfolio's messaging limit (250, 2000, 10000, 100000, or -1
 * for unlimited) with its phone-number limits. `max_daily_conversation_per_phone` is sent too only when asked
 * (Meta removed it in February 2026).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/business_capability_update/
 */
export interface CapabilityUpdate {
  wabaId: string;
  /** The portfolio's messaging limit; -1 for unlimited. */
  maxDailyConversationsPerBusiness: 250 | 2000 | 10000 | 100000 | -1;
  maxPhoneNumbersPerBusiness?: number;
  maxPhoneNumbersPerWaba?: number;
  /** Epoch seconds; defaults to now. */
  time?: number;
  /** Also send the field Meta removed in February 2026, with this value (older payloads). */
  legacyPerPhone?: number;
}

export function businessCapabilityWebhook(update: CapabilityUpdate) {
  return {
    object: 'whatsapp_business_account' as const,
    entry: [
      {
        id: update.wabaId,
        time: update.time ?? Math.floor(Date.now() / 1000),
        changes: [
          {
            field: 'business_capability_update',
            value: {
              ...(update.legacyPerPhone !== undefined ? { max_daily_conversation_per_phone: update.legacyPerPhone } : {}),
              max_daily_conversations_per_business: update.maxDailyConversationsPerBusiness,
              max_phone_numbers_per_business: update.maxPhoneNumbersPerBusiness ?? 20,
              max_phone_numbers_per_waba: update.maxPhoneNumbersPerWaba ?? 20,
            },
          },
        ],
      },
    ],
  };
}
