import type { InteractiveFrame, OutboundContent } from '../machines/conversation.types';
import type { MessageView } from '../api/conversations.schema';

/**
 * What the thread shows of an outbound message, in the shared MessageView convention: media under Meta's object name
 * (`image`, `audio`, `video`, `document`, `sticker`) with a `url` to fetch, `location`, `contacts` (Meta's objects),
 * `interactive` (what was offered), `reaction`, and `context.messageId` for a quoted reply. `text` carries the body
 * of text and interactive messages so a plain renderer still shows something.
 */
export function outboundContentView(content: OutboundContent): Partial<MessageView> {
  const context = content.type !== 'template' && content.replyTo ? { context: { messageId: content.replyTo.messageId } } : {};
  return { ...context, ...fields(content) };
}

const media = (content: { mediaId: string; caption?: string; filename?: string; mimeType?: string; size?: number }) => ({
  mediaId: content.mediaId,
  url: `/v1/media/${content.mediaId}`,
  ...(content.mimeType ? { mimeType: content.mimeType } : {}),
  ...(content.size !== undefined ? { size: content.size } : {}),
  ...(content.caption ? { caption: content.caption } : {}),
  ...(content.filename ? { filename: content.filename } : {}),
});

function fields(content: OutboundContent): Partial<MessageView> {
  switch (content.type) {
    case 'text':
      return { text: content.text };
    case 'template':
      return { template: { name: content.name, language: content.language } };
    case 'audio':
      return { audio: { ...media(content), ...(content.voice ? { voice: true } : {}) } };
    case 'image':
    case 'video':
    case 'sticker':
    case 'document':
      return { [content.type]: media(content) };
    case 'location': {
      const { latitude, longitude, name, address } = content;
      return { location: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) } };
    }
    case 'contacts':
      return { contacts: content.contacts as unknown as Record<string, unknown>[] };
    case 'reaction':
      return { reaction: { messageId: content.messageId, emoji: content.emoji } };
    case 'buttons':
      return { ...headerMedia(content), text: content.body, interactive: { type: 'button', ...frame(content), buttons: content.buttons } };
    case 'list':
      return { text: content.body, interactive: { type: 'list', ...frame(content), button: content.button, sections: content.sections } };
    case 'ctaUrl':
      return { ...headerMedia(content), text: content.body, interactive: { type: 'cta_url', ...frame(content), displayText: content.displayText, url: content.url } };
    case 'callPermissionRequest':
      return { text: content.body, interactive: { type: 'call_permission_request', body: content.body } };
    case 'locationRequest':
      return { text: content.body, interactive: { type: 'location_request_message', body: content.body } };
  }
}

/** A media header shows as the message's own media (under Meta's object name), so any renderer shows it. */
const frame = (f: InteractiveFrame) => ({ ...(typeof f.header === 'string' && f.header ? { header: f.header } : {}), body: f.body, ...(f.footer ? { footer: f.footer } : {}) });
const headerMedia = (f: InteractiveFrame) => (typeof f.header === 'object' ? { [f.header.type]: media({ mediaId: f.header.mediaId, ...(f.header.filename ? { filename: f.header.filename } : {}) }) } : {});
