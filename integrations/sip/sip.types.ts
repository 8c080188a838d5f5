/**
 * What the conversation workflow and the SIP activities exchange: plain JSON, stored in the workflow's state and
 * its history, so a dialog outlives the worker process that set it up.
 */

import type { MsrpCall } from './msrp.sdp';

/** One attempt to hand a conversation to an agent through the contact centre's SIP connector. */
export interface RouteToAgentRequest {
  conversationId: string;
  /** Numbers the routing attempts of this conversation; with conversationId (and generation) it keys the call. */
  attempt: number;
  /**
   * The conversation's generation when one id is reused after a close (attempts restart at 1), so the calls of a
   * reopened conversation never share a Call-ID with the earlier ones. 0 when absent.
   */
  generation?: number;
  /** E.164 digits, or the business-scoped user id when WhatsApp gave no number. */
  customerNumber: string;
  businessNumber: string;
  /** The business number's id at the broker (Meta's phone-number id). */
  businessNumberId?: string;
  queue: string;
  skill?: string;
  language?: string;
  /** A transfer to a named agent: the contact centre is asked for this agent. */
  targetAgentId?: string;
  /** Agents holding as many conversations as they may: the contact centre is asked not to offer them this one. */
  agentsAtCapacity?: string[];
}

/**
 * What an attempt came to. `busy` (480, 486, 503, 600, or a transport failure, which RFC 3261 §8.1.3.1 reads as
 * 503) is worth retrying after a backoff; `rejected` (404, 403, any other final failure, or routing not
 * configured) goes to the fallback; `noAnswer` means no final answer within SIP_INVITE_TIMEOUT_MS (the call was
 * CANCELled when it had rung, else abandoned) or a 408/487 from the far end.
 */
export type RouteOutcome =
  /** `msrp` in session mode: the MSRP session the answer's SDP negotiated, or why it could not be. */
  | { outcome: 'answered'; agentId: string; dialog: SipDialog; msrp?: { session: MsrpCall } | { problem: string } }
  | { outcome: 'busy'; status: number; reason: string; retryAfterSeconds?: number }
  | { outcome: 'rejected'; status: number; reason: string }
  | { outcome: 'noAnswer' };

/** An established dialog (RFC 3261 §12), enough for any worker process to send BYE in it. */
export interface SipDialog {
  conversationId: string;
  callId: string;
  localTag: string;
  remoteTag: string;
  /** The From URI of our requests. */
  localUri: string;
  /** The To URI of our requests (the connector URI the INVITE named). */
  remoteUri: string;
  /** Where in-dialog requests go: the Contact of the answer. */
  remoteTarget: string;
  /** Record-Route of the answer, reversed: the Route header values of our in-dialog requests. */
  routeSet: string[];
  /** CSeq number of the last request we sent in the dialog (the INVITE's is 1). */
  localSeq: number;
  transport: SipTransportName;
}

/** How SIP messages travel: UDP, TCP, or TLS over TCP (RFC 3261 §18, §26.2). */
export type SipTransportName = 'udp' | 'tcp' | 'tls';

/** A BYE the contact centre sent: the agent's assignment ended. */
export interface RemoteBye {
  callId: string;
  conversationId: string;
}

/** Who a line in the agent's chat session comes from; anything but `customer` is marked as such. */
export type ChatOrigin = 'customer' | 'agent' | 'integrator' | 'bot' | 'auto-reply' | 'system';

/** The system notices the agent gets in the session. */
export type ChatNoticeCode = 'window-closed' | 'template-required' | 'templates' | 'closed' | 'refused';

/**
 * One line the conversation's workflow sends to the agent as an in-dialog SIP MESSAGE (page mode, RFC 3428). Its CSeq
 * is fixed when it is queued, so every retry of the activity re-sends the very same request.
 */
export interface ChatLine {
  /** The answered call (a SipDialog, as the routing activity returned it). */
  call: { callId: string; [detail: string]: unknown };
  seq: number;
  /** Absent on lines of stored messages: their direction and sender say who wrote them. */
  origin?: ChatOrigin;
  /** A message of the thread: its body is read from the store. */
  messageId?: string;
  /** The text itself, for lines not read from the store (bot replies and auto-replies as queued, notices). */
  text?: string;
  notice?: ChatNoticeCode;
  /** Sent before this dialog began (a transfer): the new agent's context, marked `X-Chat-History: yes`. */
  history?: boolean;
  /**
   * The customer reacted to a message of the thread (`targetWamid`; an empty emoji takes the reaction back): the
   * line names the emoji and the message, read from the store, and carries `X-Chat-Reaction-To`.
   */
  reaction?: { reactionId: string; targetWamid: string; emoji: string };
}
