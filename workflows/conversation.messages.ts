/**
 * The conversation workflow's public surface: its signals, updates, query, ids and payloads. The API imports
 * this file alone, never the workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConversationStatus } from '../machines/conversation.status';
import type {
  CallRef,
  ConversationInput,
  CustomerRef,
  InboundKind,
  OutboundContent,
  FetchMediaEffect,
  SendMessageEffect,
  Sender,
  TimerId,
  TransferTarget,
  HandOffEffect,
} from '../machines/conversation.types';
import type { ChatLine, ChatNoticeCode } from '../integrations/sip/sip.types';

export const CONVERSATION_WORKFLOW_TYPE = 'conversationWorkflow';

/** One workflow per (business number, customer): the id is the business key, its format in lib/conversation-id.ts. */
export { conversationIdParts, conversationWorkflowId } from '../lib/conversation-id';

/** A customer message, already stored by the webhook; the body stays in MongoDB, out of the history. */
export interface InboundMessage {
  messageId: string;
  /** Payload timestamp, epoch ms. */
  sentAt: number;
  kind: InboundKind;
  /** The broker's media id, for images. */
  brokerMediaId?: string;
  customer: Omit<CustomerRef, 'key'>;
  /**
   * The published configuration version the API saw when it accepted the message (its own read, at most a second
   * old): the workflow reads the settings again only when this is newer than its last read (absent: always reads).
   */
  settingsVersion?: number;
}

export interface SendMessageRequest {
  /** Stable id for this send; doubles as the Update id, so a retried request takes effect once. */
  messageId: string;
  message: OutboundContent;
  sender: Sender;
}

export interface SendMessageAccepted {
  messageId: string;
  conversationId: string;
  status: 'queued';
}

/** A send that failed after the broker accepted it (a `failed` status webhook). */
export interface BrokerFailure {
  messageId: string;
  code: number;
  title: string;
  /** When the failed send was accepted (epoch ms): a late failure must not close a window the customer reopened since. */
  sentAt?: number;
}

export interface CloseRequest {
  sender: Sender;
}

/** The contact centre hung up (its BYE): the call it names no longer holds an agent. */
export interface AgentReleased {
  callId: string;
}

export interface TransferRequest {
  sender: Sender;
  to: TransferTarget;
}

/** A notice for the agent from outside the workflow (their MESSAGE was refused): `key` dedupes retransmissions. */
export interface AgentNotice {
  key: string;
  callId: string;
  code: ChatNoticeCode;
  text: string;
}

/** Plain JSON, carried across continue-as-new. */
export interface SipChatState {
  /** The dialog carrying the chat now, and the CSeq its next MESSAGE takes (the INVITE and its ACK took 1). */
  current?: { call: CallRef; nextSeq: number; windowNoticed: boolean };
  /** Lines not yet sent (or given up on), in order. */
  queue: ChatLine[];
  /** Last CSeq of dialogs that ended before their release ran: the BYE must come after it (RFC 3261 §12.2.1.1). */
  lastSeqs: Record<string, number>;
  /** Keys of recent notices, so a retransmitted MESSAGE gets one answer. */
  noticeKeys: string[];
  /**
   * Session mode: by call, the task queue of the one worker holding the call's MSRP connection (its own queue), so
   * the next lines go over that connection rather than open a second one from another worker.
   */
  msrpHolders?: Record<string, string>;
}

export const customerMessageSignal = defineSignal<[InboundMessage]>('customerMessage');
/**
 * Several messages of one customer in one signal, oldest first: how a large webhook is handed over, so one POST of
 * thousands costs the conversation tens of history events, not thousands (Temporal bounds signals and history per run).
 */
export const customerMessagesSignal = defineSignal<[InboundMessage[]]>('customerMessages');
/** The most messages one `customerMessagesSignal` carries (a few hundred bytes each: far below Temporal's 2 MB payload limit). */
export const MAX_MESSAGES_PER_SIGNAL = 100;
/**
 * The WhatsApp user called the business (Meta's user-initiated `calls` webhook `connect`), answered or not: the
 * customer service window opens or refreshes for 24 h from the call (machine event `customer.called`).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/
 */
export interface CustomerCall {
  /** Meta's call id (`wacid.…`): a redelivered webhook signals again, the conversation takes each call once. */
  callId: string;
  /** The call's `timestamp` from the webhook (epoch ms). */
  calledAt: number;
}
/** A new signal with its own handler: runs from before it never received one and replay unchanged. */
export const customerCalledSignal = defineSignal<[CustomerCall]>('customerCalled');
/**
 * The customer reacted to a message (Meta's `reaction` message; an empty `emoji` removes it): it is not the customer
 * writing, so nothing in the machine moves; an agent chatting over SIP is told. Once per reaction id.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction
 */
export interface CustomerReaction {
  /** The reaction message's own id (wamid). */
  reactionId: string;
  /** The wamid of the message reacted to. */
  targetWamid: string;
  emoji: string;
}
/** A new signal with its own handler: runs from before it never received one and replay unchanged. */
export const customerReactedSignal = defineSignal<[CustomerReaction]>('customerReacted');
export const brokerFailureSignal = defineSignal<[BrokerFailure]>('brokerFailure');
export const sendMessageUpdate = defineUpdate<SendMessageAccepted, [SendMessageRequest]>('sendMessage');
export const closeConversationUpdate = defineUpdate<ConversationStatus, [CloseRequest]>('closeConversation');
export const agentReleasedSignal = defineSignal<[AgentReleased]>('agentReleased');
export const transferConversationUpdate = defineUpdate<ConversationStatus, [TransferRequest]>('transferConversation');
/** The agent's side needs telling something in its SIP chat session (page mode): see SipChat.notice. */
export const agentNoticeSignal = defineSignal<[AgentNotice]>('agentNotice');
/** An agent opened the conversation (mark read) or is typing (typing indicator); agents only for what they hold. */
export interface ReceiptUpdateRequest {
  sender: Sender;
}

/** Whether a call went to WhatsApp, and if not why: already marked, switched off for the number, debounced… */
export interface ReceiptAnswer {
  sent: boolean;
  reason?: 'unchanged' | 'off' | 'none' | 'debounced' | 'refused' | 'window_closed' | 'closed';
}

/**
 * Meta shows the typing indicator until our next message or for 25 s: one call per 20 s keeps it up while an agent
 * keeps typing, and a burst of keystrokes costs one call.
 */
export const TYPING_DEBOUNCE_MS = 20_000;

export const markReadUpdate = defineUpdate<ReceiptAnswer, [ReceiptUpdateRequest]>('markRead');
export const typingUpdate = defineUpdate<ReceiptAnswer, [ReceiptUpdateRequest]>('showTyping');
export const conversationStatusQuery = defineQuery<ConversationStatus>('conversationStatus');

/** State carried across continue-as-new: plain JSON only (no Map, Set, Date or class instances). */
export interface CarriedState {
  /**
   * The machine's persisted snapshot with its `schemaVersion` (`persistConversation`); absent version: 1, from runs
   * before it was carried. Restored through the migration in machines/conversation.snapshot.ts.
   */
  snapshot: unknown;
  timers: Partial<Record<TimerId, number>>;
  /** Sends accepted but not yet handed to the broker, in order. */
  outbox: SendMessageEffect[];
  /** Inbound images not yet fetched (absent in runs carried before images were fetched). */
  mediaQueue?: FetchMediaEffect[];
  /** Recently handled ids, oldest first, so redeliveries and retried requests take effect once across runs. */
  recentInboundIds: string[];
  recentSendIds: string[];
  /** When the conversation began (epoch ms) and events handled since: together they order read-model writes. */
  generation: number;
  revision: number;
  /** Bot questions, routing attempts and releases not yet carried out, in order (absent before routing existed). */
  handOffQueue?: HandOffEffect[];
  /** Workflow time of the last message the broker took, for per-customer pacing (absent before pacing existed). */
  lastSentAt?: number;
  /** The chat in the agent's SIP dialog (page mode); absent when there is none. */
  sipChat?: SipChatState;
}

export interface ConversationWorkflowInput {
  conversation: ConversationInput;
  carried?: CarriedState;
  /** Customer messages that arrived as the previous run closed; handled first. */
  pendingInbound?: InboundMessage[];
  /** Calls that arrived as the previous run closed; they open the next one's window (absent: none). */
  pendingCalls?: CustomerCall[];
  /** Continue as new past this many history events even if Temporal has not suggested it yet. */
  maxHistoryEvents?: number;
}

export interface ConversationOutcome {
  conversationId: string;
  closedReason: string | null;
  revision: number;
}
