import { unsafeFilenameCharacter } from './file-names';
import type { MediaType } from './inbound-message.schema';

/**
 * WhatsApp's media rules per type, from Meta's "Supported media types"
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types, checked 2026-11-30):
 * the same figures for what customers send (the webhook's media) and what we upload to send.
 */
export interface MediaRule {
  /** MIME types Meta accepts for this type, as Meta writes them. */
  mimeTypes: readonly string[];
  /** Largest size in bytes. */
  maxBytes: number;
  /** How the README and error details name the limit. */
  limit: string;
}

const MB = 1024 * 1024;
const KB = 1024;

export const legacyOfficeTypes = ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'] as const;

export const mediaRules: Record<MediaType, MediaRule> = {
  image: { mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB, limit: '5 MB' },
  audio: { mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * MB, limit: '16 MB' },
  video: { mimeTypes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB, limit: '16 MB' },
  document: {
    mimeTypes: [
      'text/plain',
      'application/pdf',
      ...legacyOfficeTypes,
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
    limit: '100 MB',
  },
  // Animated stickers may be 500 KB, static ones 100 KB; the webhook says which (`animated`).
  sticker: { mimeTypes: ['image/webp'], maxBytes: 500 * KB, limit: '500 KB animated, 100 KB static' },
};

export const STATIC_STICKER_MAX_BYTES = 100 * KB;
/** The largest file of any type: what an upload may stream before its type is known. */
export const MAX_MEDIA_BYTES = Math.max(...Object.values(mediaRules).map((r) => r.maxBytes));

/** The most bytes one media object of `type` may have (a sticker known to be static: 100 KB). */
export function maxBytesFor(type: MediaType, animated?: boolean): number {
  return type === 'sticker' && animated === false ? STATIC_STICKER_MAX_BYTES : mediaRules[type].maxBytes;
}

/** A declared MIME type as Meta's table writes it: lower case, parameters dropped, common aliases folded. */
export function canonicalMimeType(mimeType: string | undefined): string | undefined {
  const bare = mimeType?.split(';')[0]?.trim().toLowerCase();
  if (!bare) return undefined;
  const aliases: Record<string, string> = {
    'image/jpg': 'image/jpeg',
    'video/3gp': 'video/3gpp',
    'audio/x-m4a': 'audio/mp4',
    'audio/m4a': 'audio/mp4',
    'audio/opus': 'audio/ogg',
    'audio/mp3': 'audio/mpeg',
    'audio/x-aac': 'audio/aac',
    'audio/3gpp': 'audio/amr',
  };
  return aliases[bare] ?? bare;
}

/** The WhatsApp type an uploaded file of this (detected, canonical) MIME type is sent as. */
export function mediaTypeFor(mimeType: string): MediaType | undefined {
  if (mimeType === 'image/webp') return 'sticker';
  return (['image', 'audio', 'video', 'document'] as const).find((type) => mediaRules[type].mimeTypes.includes(mimeType));
}

/**
 * Whether an upload of `mimeType` (parameters such as `; codecs=opus` ignored, aliases folded) may go out as a `type`
 * message: the same table as for what customers send.
 */
export function isSendableAs(type: MediaType, mimeType: string): boolean {
  const canonical = canonicalMimeType(mimeType);
  return canonical !== undefined && mediaRules[type].mimeTypes.includes(canonical);
}

/** The extension Meta's supported-media table gives each MIME type it accepts (same page as above). */
const extensions: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp',
  'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/ogg': 'ogg',
  'video/mp4': 'mp4', 'video/3gpp': '3gp',
  'text/plain': 'txt', 'application/pdf': 'pdf',
  'application/msword': 'doc', 'application/vnd.ms-excel': 'xls', 'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

/**
 * A file name for media that came without one (Meta's `filename` is optional: a customer's document may have none):
 * `<type>.<extension of its checked MIME type>`, e.g. `document.pdf`, so a download opens with the right program.
 */
export function defaultFilename(type: MediaType | undefined, mimeType: string): string {
  const extension = extensions[canonicalMimeType(mimeType) ?? ''];
  return `${type ?? 'media'}${extension ? `.${extension}` : ''}`;
}

/**
 * The file name at the end of a document's link (`…/invoice-77.pdf?sig=…` → `invoice-77.pdf`) when it has the extension of
 * a document type Meta accepts; undefined otherwise. Meta sends a document without `filename` as "Untitled"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/template-messages).
 */
export function filenameOfLink(link: string): string | undefined {
  let name: string;
  try {
    name = decodeURIComponent(new URL(link).pathname.split('/').pop() ?? '');
  } catch {
    return undefined;
  }
  const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  const documentExtensions = mediaRules.document.mimeTypes.map((type) => extensions[type]);
  // A name that reorders itself on screen (`%E2%80%AE`, a right-to-left override) is not offered to the customer.
  return extension && documentExtensions.includes(extension) && name.length <= 240 && !unsafeFilenameCharacter(name) ? name : undefined;
}
