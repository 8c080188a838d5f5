/**
 * What the Cloud API refuses about where and how a message is sent, apart from its content:
 * - `/<PHONE_NUMBER_ID>/marketing_messages` takes marketing templates only: another message type is refused with 100
 *   ("Message must be a template message."), a template whose category is not MARKETING with 131055 (that code
 *   comes from a BSP's page, 360dialog's; Meta's pages name no error for it)
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages,
 *   https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/route-template-messages/);
 *   `product_policy` is CLOUD_API_FALLBACK or STRICT, `message_activity_sharing` a boolean;
 * - Direct Send: `category` on a `/messages` send is `utility` or `authentication`, only on accounts Meta enabled
 *   (100, "Direct Send isn't enabled for this account"), only on text and interactive (button, cta_url) messages
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/api-reference/).
 */
import { refusal, type MetaRefusal } from './errors';

interface HeldTemplate {
  name: string;
  language: string;
  category: string;
}

type SendBody = Record<string, unknown> & { type?: unknown; template?: { name?: unknown; language?: { code?: unknown } } };

export function refusalOfMarketingSend(body: SendBody, held: readonly HeldTemplate[]): MetaRefusal | null {
  if (body.type !== 'template') return refusal(100, 'Message must be a template message.');
  if (body.product_policy !== undefined && body.product_policy !== 'CLOUD_API_FALLBACK' && body.product_policy !== 'STRICT') {
    return refusal(100, 'product_policy must be CLOUD_API_FALLBACK or STRICT');
  }
  if (body.message_activity_sharing !== undefined && typeof body.message_activity_sharing !== 'boolean') {
    return refusal(100, 'message_activity_sharing must be a boolean');
  }
  const template = held.find((t) => t.name === body.template?.name && t.language === body.template?.language?.code);
  // An unknown template is refused by the template checks (132001), as on /messages.
  if (template && template.category.toUpperCase() !== 'MARKETING') {
    return refusal(131055, `Only marketing templates can be sent with the Marketing Messages API; ${template.name} is ${template.category.toUpperCase()}`, {
      title: 'Method not allowed',
    });
  }
  return null;
}

const DIRECT_SEND_INTERACTIVE = new Set(['button', 'cta_url']);

export function refusalOfDirectSend(body: SendBody, enabled: boolean): MetaRefusal | null {
  if (body.category === undefined) return null;
  if (!enabled) return refusal(100, "Direct Send isn't enabled for this account");
  if (body.category !== 'utility' && body.category !== 'authentication') return refusal(100, 'category must be utility or authentication');
  const interactive = (body.interactive as { type?: unknown } | undefined)?.type;
  if (body.type !== 'text' && !(body.type === 'interactive' && DIRECT_SEND_INTERACTIVE.has(String(interactive)))) {
    return refusal(100, 'Direct Send supports text, interactive button and interactive cta_url messages');
  }
  return null;
}
