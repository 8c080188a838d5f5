/**
 * The simulated customer's side of every inbound type: messages of each type (media held by the simulated broker and
 * served by id, as Meta does), replies to and reactions on earlier messages, and system notices.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { newWamid, type InboundOptions } from './cloud-api.payloads';
import { inboundMessageWebhook, reactionWebhook, systemWebhook, unsupportedWebhook, type InboundMessageOptions } from './inbound-payloads';

/** Media made on demand rather than held: a benchmark's 100 MB document never sits in the simulator's memory. */
export interface StreamedMedia {
  open: () => Readable;
  size: number;
  /** Hex sha256 of what `open` yields. */
  sha256: string;
}

export type SimulatedMedia = { mimeType: string; size: number; sha256: string } & ({ bytes: Buffer; open?: undefined } | { bytes?: undefined; open: () => Readable });

interface Delivery {
  attempts: number;
  finalStatus: number;
}

export interface InboundMediaOptions extends InboundOptions {
  type: 'image' | 'audio' | 'video' | 'document' | 'sticker';
  /** The bytes, or a stream made on demand. */
  bytes: Buffer | StreamedMedia;
  mimeType: string;
  caption?: string;
  filename?: string;
  voice?: boolean;
  animated?: boolean;
  /** What the webhook announces as the bytes' sha256 (default: the real one, hex). */
  sha256?: string;
  context?: InboundMessageOptions['context'];
  referral?: Record<string, unknown>;
}

export function customerActions(deps: {
  deliverWebhook: (body: object) => Promise<Delivery>;
  storeMedia: (bytes: Buffer | StreamedMedia, mimeType: string) => string;
}) {
  /** Any message Meta documents, shaped by the caller: `{ type: 'location', content: { latitude, longitude } }`. */
  async function sendInboundMessage(opts: InboundMessageOptions): Promise<{ wamid: string; delivery: Delivery }> {
    const wamid = opts.wamid ?? newWamid();
    return { wamid, delivery: await deps.deliverWebhook(inboundMessageWebhook({ ...opts, wamid })) };
  }

  /** A customer sends media of any type: the broker keeps the bytes and the webhook names their id, type and hash. */
  async function sendInboundMedia(opts: InboundMediaOptions): Promise<{ wamid: string; mediaId: string; delivery: Delivery }> {
    const mediaId = deps.storeMedia(opts.bytes, opts.mimeType);
    const sha256 = opts.sha256 ?? (Buffer.isBuffer(opts.bytes) ? createHash('sha256').update(opts.bytes).digest('hex') : opts.bytes.sha256);
    const content = {
      id: mediaId,
      mime_type: opts.mimeType,
      sha256,
      ...(opts.caption ? { caption: opts.caption } : {}),
      ...(opts.filename ? { filename: opts.filename } : {}),
      ...(opts.voice !== undefined ? { voice: opts.voice } : {}),
      ...(opts.animated !== undefined ? { animated: opts.animated } : {}),
    };
    const { bytes: _bytes, ...rest } = opts;
    const sent = await sendInboundMessage({ ...rest, content });
    return { ...sent, mediaId };
  }

  /** A reaction to an earlier message (ours or the customer's); no emoji takes it back. */
  async function sendReaction(opts: InboundOptions & { messageId: string; emoji?: string }): Promise<{ wamid: string; delivery: Delivery }> {
    const wamid = opts.wamid ?? newWamid();
    return { wamid, delivery: await deps.deliverWebhook(reactionWebhook({ ...opts, wamid })) };
  }

  /** A system notice: the customer changed number or user id (no `contacts` array, as Meta sends it). */
  async function sendSystemNotice(opts: Parameters<typeof systemWebhook>[0]): Promise<{ wamid: string; delivery: Delivery }> {
    const wamid = opts.wamid ?? newWamid();
    return { wamid, delivery: await deps.deliverWebhook(systemWebhook({ ...opts, wamid })) };
  }

  async function sendUnsupported(opts: InboundOptions & { unsupportedType?: string }): Promise<{ wamid: string; delivery: Delivery }> {
    const wamid = opts.wamid ?? newWamid();
    return { wamid, delivery: await deps.deliverWebhook(unsupportedWebhook({ ...opts, wamid })) };
  }

  /** The `/_sim/inbound` control for any type (media as `media: { base64, mimeType, caption?, filename?, voice? }`). */
  async function playInbound(body: InboundMessageOptions & { media?: { base64: string } & Omit<InboundMediaOptions, 'bytes' | keyof InboundOptions | 'type'> } & Record<string, unknown>) {
    if (body.type === 'reaction') return sendReaction(body as never);
    if (body.type === 'system') return sendSystemNotice(body as never);
    if (body.type === 'unsupported') return sendUnsupported(body);
    if (body.media) {
      const { base64, ...media } = body.media;
      return sendInboundMedia({ ...body, ...media, type: body.type as InboundMediaOptions['type'], bytes: Buffer.from(base64, 'base64') });
    }
    return sendInboundMessage(body);
  }

  return { playInbound, actions: { sendInboundMessage, sendInboundMedia, sendReaction, sendSystemNotice, sendUnsupported } };
}
