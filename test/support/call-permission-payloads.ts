/**
 * Meta's documented `call_permission_reply` webhook (the user answered a call permission request):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 */
import { BUSINESS_NUMBER_ID } from './service';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** For this number and customer; `reply` is Meta's `call_permission_reply` object. */
export function permissionReplyWebhook(customer: string, reply: Record<string, unknown>, timestamp = nowSeconds(), wamid = `wamid.cpr${customer}${timestamp}`) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '12025550107', phone_number_id: BUSINESS_NUMBER_ID },
              contacts: [{ profile: { name: 'Pablo Morales' }, wa_id: customer }],
              messages: [
                {
                  context: { from: '12025550107', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCNUQ5RTNBNjBGQTg1MjdBRUQA' },
                  from: customer,
                  id: wamid,
                  timestamp: String(timestamp),
                  interactive: { type: 'call_permission_reply', call_permission_reply: reply },
                  type: 'interactive',
                },
              ],
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}
