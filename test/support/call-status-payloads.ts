/**
 * Meta's call status webhook for a business-initiated call (`calls` field, `value.statuses[]`: RINGING, ACCEPTED,
 * REJECTED), as the business-initiated calls page shapes it:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 */
import { BUSINESS_NUMBER_ID, WABA_ID } from './service';

/** For this number and customer (`recipient_id`); `timestampSeconds` is Meta's unix `timestamp`. */
export const callStatusWebhook = (customer: string, wacid: string, status: string, timestampSeconds: number) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: WABA_ID,
      changes: [
        {
          field: 'calls',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '12025550107', phone_number_id: BUSINESS_NUMBER_ID },
            statuses: [{ id: wacid, timestamp: String(timestampSeconds), type: 'call', status, recipient_id: customer }],
          },
        },
      ],
    },
  ],
});
