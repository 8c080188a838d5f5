/**
 * What the business sends: session messages (text, media, interactive kinds, reactions, contacts, location) and
 * templates with their parameters, as the machine carries them (plain JSON). The Cloud API's own shapes are built from
 * these in integrations/broker; Meta's limits are checked in lib/session-messages.ts and lib/template-parameters.ts.
 */

export type TemplateParameter =
  | {
      type: 'text';
      text: string;
      /** For named placeholders ({{first_name}}); absent for numbered ones ({{1}}). */
      name?: string;
    }
  /** A media header's file, by public HTTPS link. */
  | { type: 'image' | 'video'; link: string }
  | { type: 'document'; link: string; filename?: string }
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  /** A copy-code button's code (at most 15 characters). */
  | { type: 'coupon_code'; couponCode: string }
  /** A quick-reply button's payload, echoed back when the customer taps it (carousel cards, Meta's send example). */
  | { type: 'payload'; payload: string }
  /**
   * A body placeholder's amount of money (Meta's `currency` parameter): ISO 4217 `code`, the amount times 1000 as an
   * integer (`amount1000`), and the text WhatsApp shows (`fallbackValue`); `name` as for text.
   */
  | { type: 'currency'; fallbackValue: string; code: string; amount1000: number; name?: string }
  /** A body placeholder's date and time (Meta's `date_time` parameter): WhatsApp shows `fallbackValue`; `name` as for text. */
  | { type: 'date_time'; fallbackValue: string; name?: string };

export interface TemplateComponentParameters {
  type: 'header' | 'body' | 'button';
  /** Buttons only: which button, and its kind (a URL's suffix, a copy-code button's code). */
  index?: number;
  subType?: 'quick_reply' | 'url' | 'copy_code';
  parameters: TemplateParameter[];
}

/**
 * A media card carousel template's cards at send time: every card the template defines, by its zero-based index,
 * each with its header media and its body and button parameters (Meta's media card carousel templates page).
 */
export interface TemplateCarouselParameters {
  type: 'carousel';
  cards: { cardIndex: number; components: TemplateComponentParameters[] }[];
}

/** One entry of a template send's `components`. */
export type TemplateSendComponent = TemplateComponentParameters | TemplateCarouselParameters;

/**
 * The message a send answers (Meta's `context.message_id`): our id of a message in the same conversation and the
 * wamid WhatsApp knows it by, resolved when the send is accepted.
 */
export interface ReplyTo {
  messageId: string;
  wamid: string;
}

/** A contact card, as Meta's contacts message carries it (snake_case, Meta's field names). */
export interface ContactCard {
  name: { formatted_name: string; first_name?: string; last_name?: string; middle_name?: string; suffix?: string; prefix?: string };
  phones?: { phone?: string; type?: string; wa_id?: string }[];
  emails?: { email?: string; type?: string }[];
  urls?: { url?: string; type?: string }[];
  addresses?: { street?: string; city?: string; state?: string; zip?: string; country?: string; country_code?: string; type?: string }[];
  org?: { company?: string; department?: string; title?: string };
  birthday?: string;
}

/** What the upload was, copied onto the message when the send is accepted (for the thread; never sent to Meta). */
export interface StoredMediaFacts {
  mimeType?: string;
  /** Bytes. */
  size?: number;
}

/** A picture, video or document above reply buttons or a CTA URL button, by uploaded media id. */
export interface MediaHeader {
  type: 'image' | 'video' | 'document';
  mediaId: string;
  /** A document's name as the customer sees it (its upload's name): Meta's media object takes `filename` for documents. */
  filename?: string;
}

/** Header, body and footer shared by the interactive kinds: a text header, or media for buttons and CTA URLs. */
export interface InteractiveFrame {
  header?: string | MediaHeader;
  body: string;
  footer?: string;
}

/**
 * Direct Send: text and interactive (buttons, CTA URL) content marked `utility` may go outside the window on numbers
 * Meta enabled it for (the conversation service checks the number; machines/conversation.rules.ts has the rule).
 */
export interface DirectSendMark {
  category?: 'utility';
}

/** Session kinds: need an open customer service window, and may answer an earlier message (`replyTo`). */
export type SessionContent = (
  | ({ type: 'text'; text: string; previewUrl?: boolean } & DirectSendMark)
  | ({ type: 'image'; mediaId: string; caption?: string } & StoredMediaFacts)
  /** `voice`: sent as a voice message (Meta's `audio.voice`), an OGG (Opus) recording. */
  | ({ type: 'audio'; mediaId: string; voice?: boolean } & StoredMediaFacts)
  | ({ type: 'video'; mediaId: string; caption?: string } & StoredMediaFacts)
  | ({ type: 'document'; mediaId: string; caption?: string; filename?: string } & StoredMediaFacts)
  | ({ type: 'sticker'; mediaId: string } & StoredMediaFacts)
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { type: 'contacts'; contacts: ContactCard[] }
  /** An emoji on a customer's message (`emoji: ''` takes ours back); `wamid` is the reacted-to message's. */
  | { type: 'reaction'; messageId: string; wamid: string; emoji: string }
  | ({ type: 'buttons'; buttons: { id: string; title: string }[] } & InteractiveFrame & DirectSendMark)
  | ({ type: 'list'; button: string; sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[] } & InteractiveFrame & { header?: string })
  | ({ type: 'ctaUrl'; displayText: string; url: string } & InteractiveFrame & DirectSendMark)
  | { type: 'locationRequest'; body: string }
  /** Asks the customer's permission to call them (WhatsApp's call permission request; the reply arrives by webhook). */
  | { type: 'callPermissionRequest'; body: string }
) & { replyTo?: ReplyTo };

/** What the business asks to send. Session kinds need an open window; templates do not. */
export type OutboundContent = SessionContent | { type: 'template'; name: string; language: string; components?: TemplateSendComponent[] };

/** What a bot may answer with: text, or a session message without media (buttons, a list, a CTA URL…). */
export type BotReply = string | Exclude<SessionContent, { mediaId: string } | { type: 'reaction' }>;

/** Session kinds whose bytes are a stored upload (`mediaId`), named as Meta names the message object. */
export const MEDIA_KINDS = ['image', 'audio', 'video', 'document', 'sticker'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
