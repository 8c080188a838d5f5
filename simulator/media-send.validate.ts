/**
 * What the Cloud API refuses about the media of a send (image, audio, video, document, sticker messages, and the media
 * header of an interactive message), written from Meta's pages independently of the connector's table
 * (lib/media-limits.ts), so a mistake in ours shows as a simulator refusal:
 * - Supported media types: MIME types and maximum sizes per type; OGG audio with the Opus codec only; stickers are
 *   WebP, 100 KB static, 500 KB animated
 *   (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types, and each type's
 *   "Send messages" page, e.g. https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/sticker-messages).
 * - `id` is an uploaded media's id; `link` a URL Meta downloads the media from
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/image-messages).
 * - Error codes (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes):
 *   131053 "Media upload error": "Unable to upload the media used in the message", e.g. an unsupported media type,
 *   the reason in `error_data.details`.
 * When Meta refuses: an `id` it does not hold is refused in the send's answer with (#100) "Param image['id'] is not
 * a valid whatsapp business account media attachment ID", and a `link` that is no URL with (#100); the rest is found
 * only once Meta fetches or reads the media, after the send was answered 200 with a wamid, so it comes as a `failed`
 * status webhook with 131053 ("Downloading media from weblink failed with http code 404, …" for a link). Those two
 * behaviours are not on Meta's pages: they are what the real API answers, as integrators report it (the
 * wording of the (#100) message and of the weblink details is theirs, quoted from their code and issues).
 */
import type { SimulatedMedia } from './inbound-customer';
import { META_ERRORS, refusal, type MetaRefusal } from './errors';
import type { LateFailure } from './status-webhooks';

const KB = 1024;
const MB = 1024 * KB;
export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

/** Meta's table: the MIME types each message type takes and its largest file (stickers: the animated limit). */
export const MEDIA_SEND_RULES: Record<MediaKind, { mimeTypes: string[]; maxBytes: number; limit: string }> = {
  image: { mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB, limit: '5 MB' },
  // audio/opus: the name Meta's upload refusal lists beside audio/ogg for OGG Opus files.
  audio: { mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/opus'], maxBytes: 16 * MB, limit: '16 MB' },
  video: { mimeTypes: ['video/mp4', 'video/3gpp', 'video/3gp'], maxBytes: 16 * MB, limit: '16 MB' },
  document: {
    mimeTypes: [
      'text/plain',
      'application/pdf',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
    limit: '100 MB',
  },
  sticker: { mimeTypes: ['image/webp'], maxBytes: 500 * KB, limit: '500 KB animated' },
};
export const STATIC_STICKER_MAX_BYTES = 100 * KB;

/** One media object a send names: where it sits in the body (Meta's `Param` path), its type, its id or link. */
interface MediaRef {
  path: string;
  kind: MediaKind;
  id?: unknown;
  link?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const KINDS: readonly string[] = ['image', 'audio', 'video', 'document', 'sticker'];

/** The media object of a media message, or of an interactive message's media header; none for other sends. */
export function mediaOf(body: Record<string, unknown>): MediaRef | undefined {
  const type = String(body.type);
  if (KINDS.includes(type) && isObject(body[type])) return { path: type, kind: type as MediaKind, ...(body[type] as { id?: unknown; link?: unknown }) };
  const header = type === 'interactive' && isObject(body.interactive) ? body.interactive.header : undefined;
  if (isObject(header) && KINDS.includes(String(header.type)) && isObject(header[String(header.type)])) {
    const kind = String(header.type) as MediaKind;
    return { path: `interactive['header']['${kind}']`, kind, ...(header[kind] as { id?: unknown; link?: unknown }) };
  }
  return undefined;
}

/** Graph's (#100) refusals carry their own words as the message, as simulator/media-upload.ts writes them. */
const invalid = (message: string) => refusal(100, message, { title: message });

/** What Meta refuses in the send's answer: an `id` it does not hold, a `link` that is no http(s) URL. */
export function refusalOfMediaReference(body: Record<string, unknown>, held: (id: string) => SimulatedMedia | undefined): MetaRefusal | undefined {
  const ref = mediaOf(body);
  if (!ref) return undefined;
  if (ref.id !== undefined && (typeof ref.id !== 'string' || !held(ref.id))) return invalid(`Param ${ref.path}['id'] is not a valid whatsapp business account media attachment ID`);
  if (ref.id === undefined && ref.link !== undefined && !isWebUrl(ref.link)) return invalid(`Param ${ref.path}['link'] is not a valid URI.`);
  return undefined;
}

function isWebUrl(link: unknown): boolean {
  if (typeof link !== 'string') return false;
  try {
    const url = new URL(link);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

const uploadError = (details: string): LateFailure => ({ code: 131053, title: META_ERRORS[131053]!.title, details });

/**
 * Whether a WebP is animated: its VP8X chunk's animation flag (WebP container spec, "Extended File Format"). Only
 * animated stickers may be 500 KB; a static one 100 KB.
 */
export function isAnimatedWebp(bytes: Buffer): boolean {
  return bytes.length >= 21 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 16) === 'WEBPVP8X' && (bytes[20]! & 0x02) !== 0;
}

/**
 * Whether the bytes are an Ogg stream whose first logical stream is not Opus (e.g. Vorbis): Meta takes audio/ogg
 * "OPUS codecs only; base audio/ogg not supported". An Opus stream's first page carries `OpusHead` (RFC 7845 §5.1).
 * Bytes that are no Ogg stream at all are not judged here.
 */
export function isOggNotOpus(bytes: Buffer): boolean {
  return bytes.length >= 36 && bytes.toString('latin1', 0, 4) === 'OggS' && !bytes.subarray(0, 128).includes('OpusHead', 0, 'latin1');
}

/** The file's fault, if any, for a `kind` message: its type, its size (a sticker's by whether it is animated). */
function fault(kind: MediaKind, mimeType: string, size: number, bytes: Buffer | undefined): LateFailure | undefined {
  const rule = MEDIA_SEND_RULES[kind];
  const bare = mimeType.split(';')[0]!.trim().toLowerCase();
  if (!rule.mimeTypes.includes(bare)) return uploadError(`Media type ${bare || '(none)'} is not supported for ${kind} messages: ${rule.mimeTypes.join(', ')}`);
  if (kind === 'audio' && bytes && isOggNotOpus(bytes)) return uploadError('Audio file could not be processed: audio/ogg is taken with the Opus codec only (base audio/ogg is not supported)');
  if (kind === 'sticker' && bytes && !isAnimatedWebp(bytes) && size > STATIC_STICKER_MAX_BYTES) {
    return uploadError(`Sticker file could not be processed: a static sticker is at most 100 KB, this one is ${size} bytes`);
  }
  if (size > rule.maxBytes) return uploadError(`The ${kind} is ${size} bytes: the limit for ${kind} is ${rule.limit}`);
  return undefined;
}

/** Downloads a link as Meta's media fetcher would, keeping at most `max + 1` bytes. */
async function download(link: string, max: number): Promise<{ mimeType: string; size: number; bytes: Buffer } | LateFailure> {
  let response: Response;
  try {
    response = await fetch(link, { redirect: 'follow', signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    return uploadError(`Downloading media from weblink failed: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    return uploadError(`Downloading media from weblink failed with http code ${response.status}, status message ${response.statusText}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Uint8Array).length;
    if (size <= max + 1) chunks.push(Buffer.from(chunk as Uint8Array));
    else break; // over the limit: no need to read the rest
  }
  return { mimeType: response.headers.get('content-type') ?? '', size, bytes: Buffer.concat(chunks) };
}

/**
 * What Meta finds once it reads the media of a send it accepted: a held file of a type the message does not take, a
 * static sticker over 100 KB, a link it cannot download, or one serving the wrong type or too many bytes. 131053.
 */
export async function lateMediaFailure(body: Record<string, unknown>, held: (id: string) => SimulatedMedia | undefined): Promise<LateFailure | undefined> {
  const ref = mediaOf(body);
  if (!ref) return undefined;
  if (typeof ref.id === 'string') {
    const file = held(ref.id);
    return file ? fault(ref.kind, file.mimeType, file.size, file.bytes) : uploadError('The media was deleted before it could be sent');
  }
  if (typeof ref.link !== 'string') return undefined;
  const got = await download(ref.link, MEDIA_SEND_RULES[ref.kind].maxBytes);
  return 'code' in got ? got : fault(ref.kind, got.mimeType, got.size, got.bytes);
}
