import { filenameOfLink } from '../../lib/media-limits';
import type { InteractiveFrame, OutboundContent, TemplateComponentParameters, TemplateParameter, TemplateSendComponent } from '../../machines/conversation.types';

/**
 * Our outbound content in the Cloud API's shape, one case per page of Meta's "Send messages" guide
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages).
 * Media go by the broker's media id (`withBrokerMedia` has replaced our `out_…` id by then).
 */
export function toCloudMessage(content: OutboundContent): Record<string, unknown> {
  const context = content.type !== 'template' && content.replyTo ? { context: { message_id: content.replyTo.wamid } } : {};
  // Direct Send: the category field makes Meta send the content as a utility template (direct-send pages).
  const category = 'category' in content && content.category ? { category: content.category } : {};
  return { ...context, ...bodyOf(content), ...category };
}

const optional = <T>(key: string, value: T | undefined) => (value === undefined || value === '' ? {} : { [key]: value });

/** Header, body and footer of an interactive message; a media header goes by the broker's media id. */
const frame = (f: InteractiveFrame) => ({
  ...(typeof f.header === 'string' && f.header ? { header: { type: 'text', text: f.header } } : {}),
  ...(typeof f.header === 'object' ? { header: { type: f.header.type, [f.header.type]: { id: f.header.mediaId, ...(f.header.type === 'document' ? optional('filename', f.header.filename) : {}) } } } : {}),
  body: { text: f.body },
  ...(f.footer ? { footer: { text: f.footer } } : {}),
});

function bodyOf(content: OutboundContent): Record<string, unknown> {
  switch (content.type) {
    case 'text':
      return { type: 'text', text: { body: content.text, preview_url: content.previewUrl ?? false } };
    case 'image':
    case 'video':
      return { type: content.type, [content.type]: { id: content.mediaId, ...optional('caption', content.caption) } };
    case 'audio':
      // https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/audio-messages: `voice: true`
      // makes a voice message (auto-download, microphone icon, transcript, "played" status) instead of a basic audio file.
      return { type: 'audio', audio: { id: content.mediaId, ...(content.voice ? { voice: true } : {}) } };
    case 'sticker':
      return { type: content.type, [content.type]: { id: content.mediaId } };
    case 'document':
      return { type: 'document', document: { id: content.mediaId, ...optional('caption', content.caption), ...optional('filename', content.filename) } };
    case 'location':
      return { type: 'location', location: { latitude: content.latitude, longitude: content.longitude, ...optional('name', content.name), ...optional('address', content.address) } };
    case 'contacts':
      return { type: 'contacts', contacts: content.contacts };
    case 'reaction':
      return { type: 'reaction', reaction: { message_id: content.wamid, emoji: content.emoji } };
    case 'buttons':
      return {
        type: 'interactive',
        interactive: { type: 'button', ...frame(content), action: { buttons: content.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) } },
      };
    case 'list':
      return {
        type: 'interactive',
        interactive: {
          type: 'list',
          ...frame(content),
          action: {
            button: content.button,
            sections: content.sections.map((s) => ({ ...optional('title', s.title), rows: s.rows.map((r) => ({ id: r.id, title: r.title, ...optional('description', r.description) })) })),
          },
        },
      };
    case 'ctaUrl':
      return {
        type: 'interactive',
        interactive: { type: 'cta_url', ...frame(content), action: { name: 'cta_url', parameters: { display_text: content.displayText, url: content.url } } },
      };
    case 'locationRequest':
      return { type: 'interactive', interactive: { type: 'location_request_message', body: { text: content.body }, action: { name: 'send_location' } } };
    case 'callPermissionRequest':
      // https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
      return { type: 'interactive', interactive: { type: 'call_permission_request', body: { text: content.body }, action: { name: 'call_permission_request' } } };
    case 'template':
      return {
        type: 'template',
        template: {
          name: content.name,
          language: { code: content.language },
          components: (content.components ?? []).map(toCloudComponent),
        },
      };
  }
}

/** A template component's parameters; a carousel's cards each with their own components (media card carousel page). */
function toCloudComponent(component: TemplateSendComponent): Record<string, unknown> {
  if (component.type === 'carousel') {
    return { type: 'carousel', cards: component.cards.map((card) => ({ card_index: card.cardIndex, components: card.components.map(toCloudComponent) })) };
  }
  const c: TemplateComponentParameters = component;
  return {
    type: c.type,
    ...(c.subType ? { sub_type: c.subType, index: String(c.index ?? 0) } : {}),
    parameters: c.parameters.map(toCloudParameter),
  };
}

/** One template parameter in the Cloud API's shape (template-messages reference). */
function toCloudParameter(p: TemplateParameter): Record<string, unknown> {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text, ...(p.name ? { parameter_name: p.name } : {}) };
    case 'image':
    case 'video':
      return { type: p.type, [p.type]: { link: p.link } };
    case 'document':
      // The link's own name when the integrator gives none: without `filename` the customer's phone shows "Untitled".
      return { type: 'document', document: { link: p.link, ...optional('filename', p.filename ?? filenameOfLink(p.link)) } };
    case 'location':
      return { type: 'location', location: { latitude: p.latitude, longitude: p.longitude, ...optional('name', p.name), ...optional('address', p.address) } };
    case 'coupon_code':
      return { type: 'coupon_code', coupon_code: p.couponCode };
    case 'payload':
      return { type: 'payload', payload: p.payload };
    case 'currency':
      return { type: 'currency', currency: { fallback_value: p.fallbackValue, code: p.code, amount_1000: p.amount1000 }, ...(p.name ? { parameter_name: p.name } : {}) };
    case 'date_time':
      return { type: 'date_time', date_time: { fallback_value: p.fallbackValue }, ...(p.name ? { parameter_name: p.name } : {}) };
  }
}
