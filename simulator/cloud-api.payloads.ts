/**
 * Builders for WhatsApp Cloud API webhook bodies and their signature, shared by the simulator, tests and
 * benchmarks. Shapes follow Meta's Cloud API, including 2026's business-scoped user ids (`user_id`).
 */
import { createHmac, randomBytes } from 'node:crypto';

/** `X-Hub-Signature-256` for a body: HMAC-SHA256 keyed with the app secret, hex, prefixed `sha256=`. */
export function signBody(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

export const newWamid = (): string => `wamid.${randomBytes(18).toString('base64url')}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface CustomerIdentity {
  /** Phone number (digits); absent for a customer who hides it behind a username. */
  from?: string;
  userId?: string;
  username?: string;
  profileName?: string;
}

/** The business number's display form in the simulator's webhooks when a test or user names none. */
export const DEFAULT_DISPLAY_PHONE_NUMBER = '15550783881';

export interface InboundOptions extends CustomerIdentity {
  phoneNumberId: string;
  displayPhoneNumber?: string;
  wabaId?: string;
  wamid?: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
}

export interface CloudWebhookBody {
  object: 'whatsapp_business_account';
  entry: { id: string; changes: { field: string; value: Record<string, unknown> }[] }[];
}

/** One `messages` change for the number in `opts`, carrying `value` (contacts, messages or statuses). */
export function messagesBody(opts: InboundOptions, value: Record<string, unknown>): CloudWebhookBody {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: opts.wabaId ?? '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: opts.displayPhoneNumber ?? DEFAULT_DISPLAY_PHONE_NUMBER, phone_number_id: opts.phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** Each customer's profile name as last sent: like a phone, a message sent without one keeps the name they have. */
const profileNames = new Map<string, string>();
export function profileNameOf(opts: InboundOptions & { profileName?: string }): string {
  const who = opts.from ?? opts.userId ?? '';
  if (opts.profileName) profileNames.set(who, opts.profileName);
  if (profileNames.size > 100_000) profileNames.clear();
  return opts.profileName ?? profileNames.get(who) ?? 'Customer';
}

function contactAndSender(opts: InboundOptions) {
  // Meta carries the username inside the profile: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
  const contact = {
    profile: { name: profileNameOf(opts), ...(opts.username ? { username: opts.username } : {}) },
    ...(opts.from ? { wa_id: opts.from } : {}),
    ...(opts.userId ? { user_id: opts.userId } : {}),
  };
  const sender = { ...(opts.from ? { from: opts.from } : {}), ...(opts.userId ? { from_user_id: opts.userId } : {}) };
  return { contacts: [contact], sender };
}

function inbound(opts: InboundOptions, type: string, content: Record<string, unknown>): CloudWebhookBody {
  const { contacts, sender } = contactAndSender(opts);
  const message = { ...sender, id: opts.wamid ?? newWamid(), timestamp: String(opts.timestamp ?? nowSeconds()), type, ...content };
  return messagesBody(opts, { contacts, messages: [message] });
}

export const inboundTextWebhook = (opts: InboundOptions & { text: string }) => inbound(opts, 'text', { text: { body: opts.text } });

export const inboundImageWebhook = (opts: InboundOptions & { mediaId: string; mimeType: string; sha256?: string; caption?: string; url?: string }) =>
  inbound(opts, 'image', {
    image: {
      id: opts.mediaId,
      mime_type: opts.mimeType,
      ...(opts.sha256 ? { sha256: opts.sha256 } : {}),
      ...(opts.caption ? { caption: opts.caption } : {}),
      ...(opts.url ? { url: opts.url } : {}),
    },
  });

/** A message of any `type` with the content given as is: a type Meta adds later, or a shape the connector cannot read. */
export const inboundUnsupportedWebhook = (opts: InboundOptions & { type: string; content?: Record<string, unknown> }) =>
  inbound(opts, opts.type, { [opts.type]: opts.content ?? {} });

export interface StatusOptions {
  phoneNumberId: string;
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'played' | 'failed';
  recipientId?: string;
  recipientUserId?: string;
  timestamp?: number;
  bizOpaqueCallbackData?: string;
  pricingCategory?: string;
  /** Per-message pricing type (since July 2025): regular, free_customer_service, free_entry_point; default regular. */
  pricingType?: string;
  error?: { code: number; title: string; details?: string };
}

export function statusWebhook(opts: StatusOptions): CloudWebhookBody {
  const status = {
    id: opts.wamid,
    status: opts.status,
    timestamp: String(opts.timestamp ?? nowSeconds()),
    ...(opts.recipientId ? { recipient_id: opts.recipientId } : {}),
    ...(opts.recipientUserId ? { recipient_user_id: opts.recipientUserId } : {}),
    ...(opts.bizOpaqueCallbackData ? { biz_opaque_callback_data: opts.bizOpaqueCallbackData } : {}),
    ...(opts.pricingCategory
      ? { pricing: { billable: (opts.pricingType ?? 'regular') === 'regular', pricing_model: 'PMP', type: opts.pricingType ?? 'regular', category: opts.pricingCategory } }
      : {}),
    ...(opts.error
      ? { errors: [{ code: opts.error.code, title: opts.error.title, message: opts.error.title, error_data: { details: opts.error.details ?? '' } }] }
      : {}),
  };
  return messagesBody({ phoneNumberId: opts.phoneNumberId }, { statuses: [status] });
}

/** Several webhook bodies as one, as the Cloud API batches them: entries side by side. */
export function combine(...bodies: CloudWebhookBody[]): CloudWebhookBody {
  return { object: 'whatsapp_business_account', entry: bodies.flatMap((body) => body.entry) };
}

/** A change on the WhatsApp Business Account itself (template review, category), not on a phone number. */
const accountChange = (wabaId: string, field: string, value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: wabaId, time: nowSeconds(), changes: [{ field, value }] }],
});

/** A `message_template_status_update` webhook: WhatsApp approved, rejected, paused… a template. */
export const templateStatusWebhook = (opts: { wabaId: string; templateId: string; name: string; language: string; event: string; reason?: string; extra?: Record<string, unknown> }) =>
  accountChange(opts.wabaId, 'message_template_status_update', {
    event: opts.event,
    message_template_id: Number(opts.templateId),
    message_template_name: opts.name,
    message_template_language: opts.language,
    reason: opts.reason ?? 'NONE',
    ...opts.extra,
  });

/** A `message_template_quality_update` webhook: the template's quality score moved (GREEN, YELLOW, RED, UNKNOWN). */
export const templateQualityWebhook = (opts: { wabaId: string; templateId: string; name: string; language: string; previous: string; next: string }) =>
  accountChange(opts.wabaId, 'message_template_quality_update', {
    previous_quality_score: opts.previous,
    new_quality_score: opts.next,
    message_template_id: Number(opts.templateId),
    message_template_name: opts.name,
    message_template_language: opts.language,
  });

/** A `template_category_update` webhook: WhatsApp moved a template to another (differently priced) category. */
export const templateCategoryWebhook = (opts: { wabaId: string; templateId: string; name: string; language: string; previous: string; next: string }) =>
  accountChange(opts.wabaId, 'template_category_update', {
    message_template_id: Number(opts.templateId),
    message_template_name: opts.name,
    message_template_language: opts.language,
    previous_category: opts.previous.toUpperCase(),
    new_category: opts.next.toUpperCase(),
  });
