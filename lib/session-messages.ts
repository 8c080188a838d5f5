import { z } from 'zod';
import 'zod-openapi';
import { UNSAFE_FILENAME_MESSAGE, unsafeFilenameCharacter } from './file-names';

/**
 * Session messages an integrator, agent or bot may send inside the customer service window, one schema per page of
 * Meta's "Send messages" guide, with every limit those pages state checked before anything is sent (a 400 whose
 * `errors[].path` names the field). Pages under https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/
 */

const META = 'https://developers.facebook.com/documentation/business-messaging/whatsapp/messages';

/** Meta's documented limits, in characters (counts where said). */
export const SESSION_LIMITS = {
  textBody: 4096, // text-messages
  caption: 1024, // image-messages, video-messages, document-messages
  buttonsBody: 1024, // interactive-reply-buttons-messages
  listBody: 4096, // interactive-list-messages
  ctaBody: 1024, // interactive-cta-url-messages
  locationRequestBody: 1024, // location-request-messages
  callPermissionRequestBody: 1024, // calling/user-call-permissions (the interactive body's limit)
  headerText: 60,
  footerText: 60,
  buttonTitle: 20,
  buttonId: 256,
  maxButtons: 3,
  listButton: 20,
  maxSections: 10,
  sectionTitle: 24,
  maxRows: 10,
  rowId: 200,
  rowTitle: 24,
  rowDescription: 72,
  ctaDisplayText: 20,
} as const;

const L = SESSION_LIMITS;
const text = (max: number) => z.string().min(1).max(max);
const mediaId = z.string().regex(/^out_[a-f0-9]{32}$/, 'expected an uploaded media id (out_…) from POST /v1/media').meta({ description: 'From POST /v1/media' });

const replyTo = z
  .string()
  .min(1)
  .max(256)
  .optional()
  .meta({ description: "Quote an earlier message of this conversation (Meta's context.message_id): its id here, or its wamid" });

const textHeader = text(L.headerText).meta({ description: `Text header, at most ${L.headerText} characters` });
const mediaHeader = z
  .strictObject({ type: z.enum(['image', 'video', 'document']), mediaId })
  .meta({ description: 'A media header (reply buttons and CTA URL only), by uploaded media id' });

const frame = (body: number, header: z.ZodType<string | { type: 'image' | 'video' | 'document'; mediaId: string }> = textHeader) => ({
  header: header.optional(),
  body: text(body),
  footer: text(L.footerText).optional(),
  replyTo,
});

/** Unique values of `pick` over `items`, else an issue at the second occurrence. */
function unique<T>(items: T[], pick: (item: T) => string, ctx: z.RefinementCtx, path: (index: number) => (string | number)[], what: string): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const value = pick(item);
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: path(index), message: `${what} must be unique within the message` });
    seen.add(value);
  });
}

/** One grapheme that is an emoji, or '' to take a reaction back (reaction-messages). */
const isOneEmoji = (value: string) =>
  value === '' || ([...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(value)].length === 1 && /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(value));

const ContactCard = z.looseObject({
  name: z.looseObject({ formatted_name: text(1024), first_name: z.string().optional(), last_name: z.string().optional() }),
  phones: z.array(z.looseObject({ phone: z.string().optional(), type: z.string().optional(), wa_id: z.string().optional() })).optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
  urls: z.array(z.looseObject({ url: z.string().optional(), type: z.string().optional() })).optional(),
  addresses: z.array(z.looseObject({})).optional(),
  org: z.looseObject({}).optional(),
  birthday: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD').optional(),
}).meta({ description: "Meta's contact object (contacts-messages); name.formatted_name is required" });

/** Direct Send's mark: utility content that may go outside the window where Meta enabled it (machines/conversation.rules.ts). */
const category = z
  .literal('utility')
  .optional()
  .meta({
    description:
      'Direct Send: send as utility content, also outside the customer service window, on numbers Meta enabled it for (PUT /v1/numbers/{id}/sending). https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/send-utility-and-authentication-messages/',
  });

export const TextMessage = z.strictObject({ type: z.literal('text'), text: text(L.textBody), previewUrl: z.boolean().optional(), replyTo, category }).meta({ description: `${META}/text-messages` });

export const ImageMessage = z.strictObject({ type: z.literal('image'), mediaId, caption: z.string().max(L.caption).optional(), replyTo }).meta({ description: `JPEG or PNG. ${META}/image-messages` });

export const AudioMessage = z
  .strictObject({
    type: z.literal('audio'),
    mediaId,
    voice: z
      .boolean()
      .optional()
      .meta({ description: 'A voice message (voice note): downloaded at once, shown with a microphone, transcribed, and followed by the "played" status. Meta requires an OGG (Opus) file; the play icon shows up to 512 KB' }),
    replyTo,
  })
  .meta({ description: `AAC, AMR, MP3, MP4 audio or OGG (Opus); no caption. ${META}/audio-messages` });

export const VideoMessage = z.strictObject({ type: z.literal('video'), mediaId, caption: z.string().max(L.caption).optional(), replyTo }).meta({ description: `MP4 or 3GPP. ${META}/video-messages` });

/** The name the customer sees on the document; nothing that reorders or hides text on screen (lib/file-names.ts). */
const Filename = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => unsafeFilenameCharacter(name) === undefined, UNSAFE_FILENAME_MESSAGE);

export const DocumentMessage = z
    .strictObject({ type: z.literal('document'), mediaId, caption: z.string().max(L.caption).optional(), filename: Filename.optional(), replyTo })
    .meta({ description: `Any supported document; filename (with extension) picks the icon. ${META}/document-messages` });

export const StickerMessage = z.strictObject({ type: z.literal('sticker'), mediaId, replyTo }).meta({ description: `WebP. ${META}/sticker-messages` });

export const LocationMessage = z
    .strictObject({
      type: z.literal('location'),
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: z.string().min(1).max(1000).optional(),
      address: z.string().min(1).max(1000).optional(),
      replyTo,
    })
    .meta({ description: `${META}/location-messages` });

export const ContactsMessage = z.strictObject({ type: z.literal('contacts'), contacts: z.array(ContactCard).min(1).max(20), replyTo }).meta({ description: `${META}/contacts-messages` });

export const ReactionMessage = z
    .strictObject({
      type: z.literal('reaction'),
      messageId: z.string().min(1).max(256).meta({ description: "The customer's message reacted to: its id here, or its wamid" }),
      emoji: z.string().max(16).refine(isOneEmoji, 'one emoji, or "" to remove the reaction'),
    })
    .meta({ description: `${META}/reaction-messages` });

export const ButtonsMessage = z
    .strictObject({
      type: z.literal('buttons'),
      category,
      ...frame(L.buttonsBody, z.union([textHeader, mediaHeader])),
      buttons: z.array(z.strictObject({ id: text(L.buttonId), title: text(L.buttonTitle) })).min(1).max(L.maxButtons),
    })
    .superRefine((m, ctx) => {
      unique(m.buttons, (b) => b.id, ctx, (i) => ['buttons', i, 'id'], 'button ids');
      unique(m.buttons, (b) => b.title, ctx, (i) => ['buttons', i, 'title'], 'button titles');
    })
    .meta({ description: `Reply buttons (up to ${L.maxButtons}). ${META}/interactive-reply-buttons-messages` });

export const ListMessage = z
    .strictObject({
      type: z.literal('list'),
      ...frame(L.listBody),
      button: text(L.listButton).meta({ description: 'The label of the button that opens the list' }),
      sections: z
        .array(
          z.strictObject({
            title: text(L.sectionTitle).optional(),
            rows: z.array(z.strictObject({ id: text(L.rowId), title: text(L.rowTitle), description: z.string().max(L.rowDescription).optional() })).min(1),
          }),
        )
        .min(1)
        .max(L.maxSections),
    })
    .superRefine((m, ctx) => {
      const rows = m.sections.flatMap((s, si) => s.rows.map((r, ri) => ({ r, si, ri })));
      if (rows.length > L.maxRows) ctx.addIssue({ code: 'custom', path: ['sections'], message: `at most ${L.maxRows} rows across all sections (${rows.length} given)` });
      unique(rows, (x) => x.r.id, ctx, (i) => ['sections', rows[i]!.si, 'rows', rows[i]!.ri, 'id'], 'row ids');
      if (m.sections.length > 1) {
        m.sections.forEach((s, i) => {
          if (!s.title) ctx.addIssue({ code: 'custom', path: ['sections', i, 'title'], message: 'a title is required when the list has more than one section' });
        });
      }
    })
    .meta({ description: `A list of up to ${L.maxRows} rows in up to ${L.maxSections} sections. ${META}/interactive-list-messages` });

export const CtaUrlMessage = z
    .strictObject({
      type: z.literal('ctaUrl'),
      category,
      ...frame(L.ctaBody, z.union([textHeader, mediaHeader])),
      displayText: text(L.ctaDisplayText),
      url: z.url({ protocol: /^https?$/ }).max(2000),
    })
    .meta({ description: `A button that opens a URL. ${META}/interactive-cta-url-messages` });

export const LocationRequestMessage = z.strictObject({ type: z.literal('locationRequest'), body: text(L.locationRequestBody), replyTo }).meta({ description: `${META}/location-request-messages` });

export const CallPermissionRequestMessage = z
    .strictObject({ type: z.literal('callPermissionRequest'), body: text(L.callPermissionRequestBody), replyTo })
    .meta({
      description:
        "Asks the customer's permission to call them (interactive call_permission_request; inside the customer service window; WhatsApp allows 1 a day and 2 in 7 days per customer). " +
        'The reply arrives by webhook: GET /v1/conversations/{id}/call-permission. https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/',
    });

export const SessionMessages = [
  TextMessage,
  ImageMessage,
  AudioMessage,
  VideoMessage,
  DocumentMessage,
  StickerMessage,
  LocationMessage,
  ContactsMessage,
  ReactionMessage,
  ButtonsMessage,
  ListMessage,
  CtaUrlMessage,
  LocationRequestMessage,
  CallPermissionRequestMessage,
] as const;
