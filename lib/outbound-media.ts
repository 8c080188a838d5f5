import type { MediaKind } from '../machines/conversation.types';

/**
 * The content types WhatsApp accepts for each media message, from Meta's "Supported media types"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/media#supported-media-types).
 * Sizes are checked when the file is uploaded (POST /v1/media); this table decides which message an upload may be sent as.
 */
export const SENDABLE_MEDIA_TYPES: Record<MediaKind, readonly string[]> = {
  image: ['image/jpeg', 'image/png'],
  audio: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
  video: ['video/mp4', 'video/3gpp'],
  sticker: ['image/webp'],
  document: [
    'text/plain',
    'application/pdf',
    'application/msword',
    'application/vnd.ms-excel',
    'application/vnd.ms-powerpoint',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  ],
};

/** Whether an upload of `mimeType` (parameters such as `; codecs=opus` ignored) may go out as a `kind` message. */
export function isSendableAs(kind: MediaKind, mimeType: string): boolean {
  return SENDABLE_MEDIA_TYPES[kind].includes(mimeType.split(';')[0]!.trim().toLowerCase());
}
