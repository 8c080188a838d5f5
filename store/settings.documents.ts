import type { NumberType } from 'libphonenumber-js/max';
import type { MachineConfig } from '../lib/machine-config';

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
  /**
   * The business portfolio that owns the number's WhatsApp Business Account: its numbers share one messaging limit
   * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits). Absent: the
   * deployment's one portfolio, `default` (store/portfolio.store.ts).
   */
  businessPortfolioId?: string;
  /** How the number sends: Direct Send and Marketing Messages API options (PUT /v1/numbers/{id}/sending); absent: off, Meta's defaults. */
  sending?: SendingSettings;
  verificationMethod: 'sms' | 'voice';
  ownership: { attestedBy: string; attestedAt: Date; statement: string };
  notes: string[];
  registeredAt: Date;
  registeredBy: string;
  /** Set on a number being retired: every inbound message gets `autoReply`, at most once per customer per period. */
  legacy?: { replacementNumber: string; autoReply: string; periodHours: number; markedAt: Date; markedBy: string };
  /** Read receipts and typing indicator to customers; absent: both on ({@link defaultReceipts}). */
  receipts?: ReceiptSettings;
  /** How long this number's messages, media and closed conversations are kept; absent: RETENTION_DAYS. */
  retention?: { days: number; setAt: Date; setBy: string };
}
/**
 * Sending capabilities of a number as Meta granted them:
 * - `directSend`: utility text and interactive messages may go outside the window without a template
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/send-utility-and-authentication-messages/);
 * - `marketingMessages`: options sent with every marketing template, which goes to /marketing_messages
 *   (https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages).
 */
export interface SendingSettings {
  directSend: boolean;
  marketingMessages?: {
    /** STRICT: never fall back to the Cloud API; CLOUD_API_FALLBACK (Meta's default) may. */
    productPolicy?: 'CLOUD_API_FALLBACK' | 'STRICT';
    /** Share message activity (reads, clicks) with Meta for optimisation. A marketing template's time-to-live is the template's own (templates/time-to-live page). */
    messageActivitySharing?: boolean;
  };
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
