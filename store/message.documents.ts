import type { ConversationStatus } from '../machines/conversation.status';
import type { TemplateDefinition } from '../lib/template-definition';
import type { InboundKind, OutboundContent, Sender } from '../machines/conversation.types';
import type { InboundContent, InboundEventKind } from '../lib/inbound-message';

/** Delivery progress of an outbound message; a status only ever moves up this list. */
export const outboundStatuses = ['queued', 'accepted', 'sent', 'delivered', 'read', 'failed'] as const;
export type OutboundStatus = (typeof outboundStatuses)[number];
export const statusRank = (status: OutboundStatus): number => outboundStatuses.indexOf(status);

export interface MessageFailure {
  /** Cloud API error code (131047, 131026, …); 0 when our side gave up. */
  code: number;
  title: string;
  details?: string;
  /** What the agent is told: `template_required` for a closed window, else `broker_rejected` / `send_timed_out`. */
  reason: 'template_required' | 'broker_rejected' | 'send_timed_out';
  /** What the code means for the conversation (lib/meta-errors.ts): refuse, closeWindow, blockTemplate, alert. */
  action?: 'retry' | 'refuse' | 'closeWindow' | 'blockTemplate' | 'alert';
  /** What the code means and what to do, where lib/meta-errors.ts says more than Meta's title (131048, 131049, 131050). */
  meaning?: string;
}

interface MessageBase {
  _id: string;
  conversationId: string;
  businessNumberId: string;
  customerKey: string;
  /** Epoch ms the thread is ordered by: the payload time for inbound (never later than its receipt), the acceptance time for outbound. */
  sortAt: number;
  /**
   * Receipt order, µs since the epoch (lib/thread-order.ts): when the connector received the webhook (plus the
   * message's position in it) for inbound, when it stored the message for outbound. Breaks ties between messages
   * written in the same second; absent on messages stored before it existed, which fall back on `createdAt`.
   */
  seq?: number;
  createdAt: Date;
}

/**
 * A customer message (`kind` an InboundKind, handed to its conversation) or an event that is not the customer
 * writing (`event: true`: a system notice, a welcome request, an edit or a revoke), kept in the thread only. The
 * structured fields are the Cloud API's, read by lib/inbound-message.ts: media under Meta's object name
 * (`image`, `audio`, `video`, `document`, `sticker`), `location`, `contacts`, `interactive`, `button`, `order`,
 * `unsupported`, `context`, `referral`, `system`, `edit`, `revoke`.
 */
export interface InboundMessageDoc extends MessageBase, InboundContent {
  direction: 'inbound';
  wamid: string;
  kind: InboundKind | InboundEventKind;
  /** Not the customer writing: never signalled, never moves the window or routes (see lib/inbound-message.ts). */
  event?: true;
  /** The Cloud API type as received (text, image, audio, location…). */
  type: string;
  /** When the connector marked this message (and so every earlier one) read on WhatsApp. */
  readReceiptAt?: Date;
  /** The message object exactly as the webhook carried it, kept as a string (FerretDB: no arrays in arrays). */
  raw: string;
  /**
   * False when stored. Handling is recorded in `inbound_handled` (HandledInboundDoc); true only on messages handled
   * before that collection existed, which still count as handled.
   */
  handled: boolean;
  /** When the conversation's workflow handled a message, on those legacy messages only. */
  handledAt?: Date;
}

/**
 * One per customer message its conversation has handled, keyed on the wamid: inserted once, never updated, so
 * marking costs an insert (constant time on FerretDB, where an update by `_id` scans the collection). A redelivery
 * of a handled message skips Temporal.
 */
export interface HandledInboundDoc {
  _id: string;
  /** When the workflow handled it; with the message's createdAt (receipt), the end-to-end latency. */
  at: Date;
}

export interface OutboundMessageDoc extends MessageBase {
  direction: 'outbound';
  wamid?: string;
  content: OutboundContent;
  sender: Sender;
  /**
   * Index into `outboundStatuses` as the worker recorded it (queued, accepted, failed at the send); the broker's
   * statuses live in `message_statuses` and readers take the highest of both.
   */
  statusRank: number;
  /** When each status was reached; `played` (a voice message played) has a time but no rank: played implies read. */
  statusTimes: Partial<Record<OutboundStatus | 'played', Date>>;
  pricingCategory?: string;
  /** The status webhook's per-message pricing (type, category, billable), folded in from the statuses that carried it. */
  pricing?: MessagePricing;
  failure?: MessageFailure;
  /** The `contacts[0].wa_id` Meta answered for the send, when it differs from the number we sent to. */
  recipientWaId?: string;
}

/**
 * What the business wrote from the WhatsApp Business app on a coexistence number, as Meta echoed it
 * (`smb_message_echoes`, https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes):
 * an outbound message of the customer's thread, keyed on its wamid (`_id`), its content read as a customer message's
 * is (lib/inbound-message.ts: the echo carries the same objects). Never handed to the conversation: it does not open
 * or extend the customer service window, route, or answer anything.
 */
export interface BusinessAppMessageDoc extends MessageBase, InboundContent {
  direction: 'outbound';
  source: 'business_app';
  wamid: string;
  /** The Cloud API type as echoed (text, image, reaction…). */
  type: string;
  sender: { kind: 'business_app' };
  /** `sent` when stored (WhatsApp echoes what it sent); later statuses of the wamid fold in as for any outbound message. */
  statusRank: number;
  statusTimes: Partial<Record<OutboundStatus | 'played', Date>>;
  /** Folded in from the wamid's status webhooks, as for any outbound message (see withDeliveryStatuses). */
  pricingCategory?: string;
  pricing?: MessagePricing;
  failure?: MessageFailure;
  /** A reaction the business gave from the app, to the message whose wamid it names ('' takes it back). */
  reaction?: { messageId: string; emoji: string };
  /** The echo object exactly as the webhook carried it, kept as a string. */
  raw: string;
}

/** An outbound message the connector itself sent (`content`), as opposed to one echoed from the WhatsApp Business app. */
export const isConnectorOutbound = (doc: MessageDoc): doc is OutboundMessageDoc => doc.direction === 'outbound' && !('source' in doc);

export type MessageDoc = InboundMessageDoc | OutboundMessageDoc | BusinessAppMessageDoc;

export interface ConversationDoc extends ConversationStatus {
  _id: string;
  /** `generation:revision`, zero-padded so string order is event order, across runs of the same id. */
  projectionKey: string;
  updatedAt: Date;
}

export interface TemplateDoc {
  _id: string;
  businessNumberId: string;
  name: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  /** DELETED: WhatsApp no longer holds it (see templateStatuses); it may be created again under the same key. */
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED' | 'IN_APPEAL' | 'PENDING_DELETION' | 'DELETED';
  /** Body text with {{1}} or {{name}} placeholders, for agents choosing and filling a template. */
  body: string;
  updatedAt: Date;
  /** The full template; absent only on templates recorded before supervisors managed them here. */
  definition?: TemplateDefinition;
  /** WhatsApp's id for it, which status and category webhooks name. */
  brokerTemplateId?: string;
  wabaId?: string;
  rejectedReason?: string;
  /** WhatsApp's quality score (GREEN, YELLOW, RED, UNKNOWN), from message_template_quality_update. */
  quality?: string;
  /** Every status it went through, oldest first. */
  history?: {
    status: TemplateDoc['status'];
    category?: TemplateDoc['category'];
    at: Date;
    source: 'api' | 'webhook' | 'sync';
    reason?: string;
    /** On an edit: the status it was edited from (WhatsApp limits edits of APPROVED ones). */
    editedFrom?: TemplateDoc['status'];
  }[];
  createdBy?: string;
}

/**
 * One delivery status webhook, as it came: `_id` is `wamid:status`, so a redelivery is a duplicate key and an insert
 * records it whether or not the send's own answer (which tells us the wamid) has been stored yet. Statuses are inserts,
 * not updates of the message: FerretDB applies an update by scanning the collection and can lose one of two racing
 * updates; readers fold these into the message (see withDeliveryStatuses).
 */
export interface DeliveryStatusDoc {
  _id: string;
  wamid: string;
  /**
   * `played`: the customer's device played a voice message (Meta's status webhook reference,
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/).
   */
  status: Exclude<OutboundStatus, 'queued' | 'accepted'> | 'played';
  at: Date;
  /** Our message id when the broker echoed it (`biz_opaque_callback_data`). */
  messageId?: string;
  pricingCategory?: string;
  pricing?: MessagePricing;
  failure?: MessageFailure;
  /**
   * The status webhook's `conversation` under conversation-based pricing (its id, when it expires, the category it
   * was opened in as `origin.type`), kept as received; statuses priced per message carry none. Status webhook
   * reference: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/
   */
  conversation?: { id?: string; originType?: string; expiresAt?: Date };
}

/**
 * What WhatsApp says a message costs (status webhooks, per-message pricing since July 2025): `type` `regular` is
 * charged at `category`'s rate; `free_customer_service` and `free_entry_point` are not charged.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
export interface MessagePricing {
  category?: string;
  type?: string;
  billable?: boolean;
  model?: string;
}

/** Which outbound message a broker message id (wamid) belongs to; `_id`-keyed so status lookups stay indexed. */
export interface WamidDoc {
  _id: string;
  messageId: string;
}

/**
 * A customer's reaction to a message, as the webhook carried it (`_id` the reaction's own wamid, so a redelivery is
 * a duplicate key). Inserted, never updated: the thread shows each customer's latest reaction on the message whose
 * wamid it names, and an empty emoji (Meta omits it) takes the reaction back.
 */
export interface ReactionDoc {
  _id: string;
  /** The wamid of the message reacted to (ours as the broker named it, or the customer's own). */
  targetWamid: string;
  conversationId: string;
  /** Who reacted: the customer's key, or `business_app` for the business reacting from the WhatsApp Business app (an `smb_message_echoes` echo). */
  by: string;
  /** The emoji, or '' when the customer removed their reaction. */
  emoji: string;
  /** When the customer reacted (the webhook's timestamp). */
  at: Date;
}
