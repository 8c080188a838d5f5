import { AppError } from '../lib/errors';
import { isSendableAs } from '../lib/media-limits';
import type { MediaHeader, OutboundContent, ReplyTo } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { findMedia } from '../store/media.store';
import type { OutboundRequest } from '../api/conversations.schema';

const refuse = (path: string, message: string, code: 'invalid_request' | 'unknown_media' = 'invalid_request') =>
  new AppError(code, `${path}: ${message}`, { errors: [{ in: 'body', path, message }] });

/**
 * How old a customer's message may be for a reaction: "If the message you are reacting to is more than 30 days old
 * […] the reaction message will not be delivered and you will receive a messages webhook with error code 131009"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/reaction-messages).
 */
const REACTABLE_MS = 30 * 24 * 60 * 60 * 1000;

/** A message of this conversation by our id or by its wamid, with the wamid WhatsApp knows it by. */
async function findInThread(store: Store, conversationId: string, ref: string) {
  const doc = await store.messages.findOne({ conversationId, $or: [{ _id: ref }, { wamid: ref }] });
  return doc?.wamid ? { doc, wamid: doc.wamid } : null;
}

/**
 * Turns a send as the API takes it into what the conversation carries: the quoted message and the reacted-to message
 * resolved to their wamids (Meta's `context.message_id`, `reaction.message_id`), uploads checked to exist and to be of a
 * type WhatsApp accepts for that message. Refusals are 400/404 problems naming the field; nothing is recorded.
 */
export async function resolveOutbound(store: Store, conversationId: string, message: OutboundRequest): Promise<OutboundContent> {
  if (message.type === 'template') return message;
  let stored: { mimeType: string; size?: number; filename?: string } | undefined;
  let header: MediaHeader | undefined;
  if ('mediaId' in message) {
    const media = await findMedia(store, message.mediaId);
    if (!media) throw refuse('message.mediaId', `no upload ${message.mediaId}; upload the file first (POST /v1/media)`, 'unknown_media');
    if (!isSendableAs(message.type, media.metadata.mimeType)) {
      throw refuse('message.mediaId', `a ${media.metadata.mimeType} upload cannot be sent as ${message.type === 'image' ? 'an image' : `a ${message.type}`} message`);
    }
    // Meta: "Voice messages require .ogg files encoded with the OPUS codec" (uploads of OGG are checked to be Opus);
    // another file would reach the customer as a voice message that cannot be transcribed.
    if (message.type === 'audio' && message.voice && media.metadata.mimeType !== 'audio/ogg') {
      throw refuse('message.voice', `a voice message must be an OGG (Opus) recording; this upload is ${media.metadata.mimeType} (send it without voice, as a basic audio message)`);
    }
    // Kept on the message so the thread shows the type and size without reading the file.
    stored = { mimeType: media.metadata.mimeType, ...(media.metadata.size !== undefined ? { size: media.metadata.size } : {}) };
    // A document goes under the name it was uploaded with unless the send names it: without Meta's `filename` the
    // customer sees "Untitled" (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/document-messages).
    if (message.type === 'document' && !message.filename && media.metadata.filename) stored.filename = media.metadata.filename;
  }
  if ((message.type === 'buttons' || message.type === 'ctaUrl') && typeof message.header === 'object') {
    const { type, mediaId } = message.header;
    const media = await findMedia(store, mediaId);
    if (!media) throw refuse('message.header.mediaId', `no upload ${mediaId}; upload the file first (POST /v1/media)`, 'unknown_media');
    if (!isSendableAs(type, media.metadata.mimeType)) throw refuse('message.header.mediaId', `a ${media.metadata.mimeType} upload cannot be a ${type} header`);
    // As for a document message: without `filename` the customer sees "Untitled".
    if (type === 'document' && media.metadata.filename) header = { type, mediaId, filename: media.metadata.filename };
  }
  if (message.type === 'reaction') {
    const target = await findInThread(store, conversationId, message.messageId);
    // Meta: a reaction applies to a message the business received from the customer; a notice WhatsApp wrote
    // (system, welcome request, edit…) is none.
    if (!target || target.doc.direction !== 'inbound' || target.doc.event) throw refuse('message.messageId', `no customer message ${message.messageId} in this conversation`);
    // Meta does not deliver a reaction to a message "more than 30 days old" (reaction-messages page): refused here,
    // where WhatsApp would accept it and fail it later.
    if (Date.now() - target.doc.sortAt > REACTABLE_MS) {
      throw refuse('message.messageId', `the customer's message ${message.messageId} is more than 30 days old: WhatsApp does not deliver a reaction to it`);
    }
    return { type: 'reaction', messageId: target.doc._id, wamid: target.wamid, emoji: message.emoji };
  }
  const { replyTo: ref, ...fields } = message;
  const rest = { ...fields, ...stored, ...(header ? { header } : {}) } as Exclude<OutboundContent, { type: 'template' | 'reaction' }>;
  if (ref === undefined) return rest;
  const target = await findInThread(store, conversationId, ref);
  if (!target) throw refuse('message.replyTo', `no message ${ref} with a WhatsApp id in this conversation`);
  const replyTo: ReplyTo = { messageId: target.doc._id, wamid: target.wamid };
  return { ...rest, replyTo };
}
