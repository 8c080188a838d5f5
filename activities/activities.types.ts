import type { ConversationStatus } from '../machines/conversation.status';
import type { FetchMediaEffect, SendMessageEffect } from '../machines/conversation.types';
import type { MediaProblem as CheckProblem } from '../lib/media-type';
import type { SettingsRead, SettingsRequest } from './settings.activities';
import type { AskBotEffect, ReleaseAgentEffect } from '../machines/conversation.types';
import type { BotOutcome } from './bot.activities';
import type { ReceiptOutcome, ReceiptRequest } from './receipts.activities';
import type { RouteAttempt, RouteAttemptOutcome } from './routing.activities';
import type { RelayOutcome } from './sip-chat.activities';
import type { ChatLine } from '../integrations/sip/sip.types';

/** What a send came to: the broker took it (with its wamid) or refused it for good (with WhatsApp's code). */
export type SendOutcome =
  | { outcome: 'accepted'; wamid: string }
  | { outcome: 'rejected'; code: number; title: string; details?: string };

export interface RecordConversationInput {
  status: ConversationStatus;
  /** When this conversation (not this run) began; a conversation reopened after closing gets a later one. */
  generation: number;
  /** Events handled in this generation; with it, orders projections so an older one never overwrites a newer. */
  revision: number;
  /** Inbound messages the workflow has now handled; their documents are marked so redeliveries skip Temporal. */
  handledInboundIds: string[];
  /**
   * Sends accepted since the last projection, stored as `queued` at once, so the thread lists a reply while it waits
   * its turn at WhatsApp (the send activity finds it there). Absent in projections scheduled before it existed.
   */
  queuedSends?: SendMessageEffect[];
}

/**
 * One send as the conversation hands it to the broker at its turn (after pacing). `sendBy`: when the customer service
 * window closes (epoch ms), read at that turn; absent for content that may go outside the window (a template, Direct
 * Send). At or after it a first attempt is not made: WhatsApp would refuse it with 131047 (joel#314).
 */
export type SendAttempt = SendMessageEffect & { sendBy?: number };

export interface SendFailure {
  messageId: string;
  code: number;
  title: string;
  details?: string;
}

export type MediaProblem = CheckProblem | 'fetch_failed';

export type MediaOutcome = { outcome: 'stored'; mediaId: string } | { outcome: 'rejected'; problem: MediaProblem };

export interface MediaFailure {
  messageId: string;
  problem: MediaProblem;
  details?: string;
}

/** The activities the conversation workflow calls. Workflows import this type only. */
export interface ConversationActivities {
  sendMessage(send: SendAttempt): Promise<SendOutcome>;
  recordConversation(input: RecordConversationInput): Promise<void>;
  markSendFailed(failure: SendFailure): Promise<void>;
  fetchInboundMedia(fetch: FetchMediaEffect): Promise<MediaOutcome>;
  markMediaFailed(failure: MediaFailure): Promise<void>;
  conversationSettings(request: SettingsRequest): Promise<SettingsRead>;
  routeToAgent(attempt: RouteAttempt): Promise<RouteAttemptOutcome>;
  releaseAgent(release: ReleaseAgentEffect): Promise<void>;
  askBot(ask: AskBotEffect): Promise<BotOutcome>;
  relayToAgent(line: ChatLine): Promise<RelayOutcome>;
  sendReceipt(request: ReceiptRequest): Promise<ReceiptOutcome>;
}
