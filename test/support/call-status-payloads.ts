/**
 * Meta's `calls` webhook as the calling pages shape it: the envelope (field `calls`, `value.metadata`), and the call
 * status of a business-initiated call (`value.statuses[]`: RINGING, ACCEPTED, REJECTED):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/
 */
import { BUSINESS_NUMBER_ID, WABA_ID } from './service';

/** The business number as `metadata.display_phone_number` gives it (the connector keys calls by phone_number_id). */
export const CALLS_DISPLAY_NUMBER = '12025550107';

/** One `calls` change for the rig's number; `value`: `contacts` and `calls`, or `statuses`. */
export const callsWebhook = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: WABA_ID,
      changes: [
        {
          field: 'calls',
          value: { messaging_product: 'whatsapp', metadata: { display_phone_number: CALLS_DISPLAY_NUMBER, phone_number_id: BUSINESS_NUMBER_ID }, ...value },
        },
      ],
    },
  ],
});

/**
 * For this number and customer (`recipient_id`); `timestampSeconds` is Meta's unix `timestamp`; `extra`: more of the
 * status's fields (e.g. `recipient_user_id`, the BSUID Meta adds beside the number).
 */
export const callStatusWebhook = (customer: string, wacid: string, status: string, timestampSeconds: number, extra: Record<string, unknown> = {}) =>
  callsWebhook({ statuses: [{ id: wacid, timestamp: String(timestampSeconds), type: 'call', status, recipient_id: customer, ...extra }] });
