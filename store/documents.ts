import type { ConversationStatus } from '../machines/conversation.status';
import type { TemplateDefinition } from '../lib/template-definition';
import type { InboundKind, OutboundContent, Sender } from '../machines/conversation.types';
import type { InboundContent, InboundEventKind } from '../lib/inbound-message';
import type { NumberType } from 'libphonenumber-js/max';
import type { MachineConfig } from '../lib/machine-config';

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
}

interface MessageBase {
  _id: string;
  conversationId: string;
  businessNumberId: string;
  customerKey: string;
  /** Epoch ms the thread is ordered by: the payload time for inbound, the acceptance time for outbound. */
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
  statusTimes: Partial<Record<OutboundStatus, Date>>;
  pricingCategory?: string;
  failure?: MessageFailure;
  /** The `contacts[0].wa_id` Meta answered for the send, when it differs from the number we sent to. */
  recipientWaId?: string;
}

export type MessageDoc = InboundMessageDoc | OutboundMessageDoc;

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
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED' | 'IN_APPEAL' | 'PENDING_DELETION';
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
  history?: { status: TemplateDoc['status']; category?: TemplateDoc['category']; at: Date; source: 'api' | 'webhook' | 'sync'; reason?: string }[];
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
  status: Exclude<OutboundStatus, 'queued' | 'accepted'>;
  at: Date;
  /** Our message id when the broker echoed it (`biz_opaque_callback_data`). */
  messageId?: string;
  pricingCategory?: string;
  failure?: MessageFailure;
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
  /** Who reacted: the customer's key. */
  by: string;
  /** The emoji, or '' when the customer removed their reaction. */
  emoji: string;
  /** When the customer reacted (the webhook's timestamp). */
  at: Date;
}

/**
 * A registered agent: the identity agent keys are issued to. The `_id` is the agent id (what the contact centre's
 * SIP answer names and what a reply records as its sender), unique by construction.
 */
export interface AgentDoc {
  _id: string;
  /** Display name. */
  name: string;
  /** Queues this agent serves: under the `own` visibility policy it reads the conversations waiting in them. */
  queues: string[];
  createdAt: Date;
  createdBy: string;
}

/** Who may do what. Each API key belongs to exactly one role. */
export const roles = ['integrator', 'agent', 'supervisor', 'analyst'] as const;
export type Role = (typeof roles)[number];
export interface ApiKeyDoc {
  /** sha256 of the key, hex: the key itself is shown once and never stored. */
  _id: string;
  /** Public handle for listing and revoking (the first characters of the hash). */
  keyId: string;
  role: Role;
  name: string;
  /** Agent keys only: the registered agent (agents collection) the key speaks for. */
  agentId?: string;
  createdAt: Date;
  createdBy: string;
  revokedAt?: Date;
}

/** A published configuration. Versions only grow: a rollback publishes an earlier version's content again. */
export interface ConfigVersionDoc {
  _id: number;
  config: MachineConfig;
  publishedAt: Date;
  publishedBy: string;
  note?: string;
  /** Set when this version re-published an earlier one. */
  rolledBackTo?: number;
}
/** The draft supervisors edit; kept as given (it may not validate yet) so work can be saved in steps. */
export interface ConfigDraftDoc {
  _id: 'draft';
  draft: Record<string, unknown>;
  updatedAt: Date;
  updatedBy: string;
}
export interface ConfigAuditDoc {
  _id: string;
  at: Date;
  by: string;
  action: 'draft.saved' | 'published' | 'rolledBack';
  version?: number;
  /** What changed, path by path (from the previous draft, or from the version in force before). */
  changes: { path: string; from?: unknown; to?: unknown }[];
}

/** A business number the connector serves, as registered by a supervisor. `_id` is the Cloud API phone-number id. */
export interface BusinessNumberDoc {
  _id: string;
  /** E.164, e.g. +12025550107. */
  displayNumber: string;
  country?: string;
  numberType: NumberType | 'UNKNOWN';
  /** WhatsApp Business Account that owns the number's templates (for the template sync). */
  wabaId?: string;
  verificationMethod: 'sms' | 'voice';
  ownership: { attestedBy: string; attestedAt: Date; statement: string };
  notes: string[];
  registeredAt: Date;
  registeredBy: string;
  /** Set on a number being retired: every inbound message gets `autoReply`, at most once per customer per period. */
  legacy?: { replacementNumber: string; autoReply: string; periodHours: number; markedAt: Date; markedBy: string };
  /** Read receipts and typing indicator to customers; absent: both on ({@link defaultReceipts}). */
  receipts?: ReceiptSettings;
}
/** Whether customers see their messages marked read, and the typing indicator while an agent types. */
export interface ReceiptSettings {
  markRead: boolean;
  typing: boolean;
}
/** Marks who was told about a legacy number, so the reply goes out once per customer per period. */
export interface LegacyReplyDoc {
  /** `<phoneNumberId>:<customerKey>` */
  _id: string;
  lastSentAt: number;
  /** The customer message that won the claim: asking again for it answers the same (retries are safe). */
  messageId: string;
}

/**
 * Why a part of a webhook was kept aside instead of processed. A closed list: supervisors filter on it and a replay
 * tool picks what it can now handle by it.
 */
export const deadLetterReasons = [
  /** A `messages` change whose value is not Meta's shape (no `metadata.phone_number_id`, …). */
  'change_unreadable',
  /** A message that is not Meta's message shape (no id, a timestamp that is not unix seconds, …). */
  'message_unreadable',
  /** Likewise a delivery status. */
  'status_unreadable',
  /** A template status or category event without a template id or status. */
  'template_event_unreadable',
  /** A message naming no customer: no `from`/`from_user_id`, no matching contact with `wa_id`/`user_id`. */
  'no_customer',
  /** Temporal refused it for good (an id or payload past its limits), while answering. */
  'refused_by_temporal',
  /** The store refused it for good (a document it cannot hold), while answering. */
  'refused_by_store',
  /** Anything else that failed while MongoDB and Temporal both answered. */
  'unexpected_error',
] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];
/** A part of a webhook the connector could not use, kept as it arrived so a later release can replay it. */
export interface DeadLetterDoc {
  /** sha256 of reason and raw part: a redelivery of the same body keeps one letter. */
  _id: string;
  reason: DeadLetterReason;
  /** What went wrong, for people (a schema issue, an error message). */
  detail: string;
  /** The webhook change field it came in (`messages`, `message_template_status_update`, …). */
  field: string;
  /** The part itself (a message, a status, a change value), JSON as received. */
  raw: string;
  /** What a replay needs beside it: the change's `metadata` and `contacts`, JSON; absent for a whole change. */
  context?: string;
  businessNumberId?: string;
  wamid?: string;
  receivedAt: Date;
}

/**
 * A webhook too large to process before answering it, kept whole as it arrived so it can be acknowledged at once
 * and handed to its conversations in chunks afterwards (by this process, or after a restart by any API process).
 */
export interface InboundBatchDoc {
  /** sha256 of the raw body: a redelivery of the same body finds the first copy. */
  _id: string;
  /** The raw body, UTF-8, exactly as signed. */
  body: string;
  /** How many parts (messages, statuses, template events, other changes) it carries. */
  parts: number;
  receivedAt: Date;
}
/** One chunk of a batch handed over: `<batch id>:<chunk index>`. Inserts only (FerretDB inserts in constant time). */
export interface InboundBatchChunkDoc {
  _id: string;
  at: Date;
}
