/**
 * What the user agent (sip.client.ts) offers and takes: its options and hooks, an INVITE's input and outcome, the
 * agent's in-dialog MESSAGE and its answer. Types only: the services, the MSRP sessions and the routing read them
 * without the agent's code (sip.client.ts re-exports them, so imports from there keep working).
 */
import type { Logger } from 'pino';
import type { InDialogContent, LocalAddress, SipHop } from './sip.dialog';
import type { SipHeaders, SipMessage, SipRequest, SipResponse } from './sip.message';
import type { TransactionResult } from './sip.transaction';
import type { Inbound } from './sip.transport';
import type { SipTlsOptions } from './sip.tls';
import type { RemoteBye, SipDialog } from './sip.types';

export interface SipAgentOptions {
  /** Address to bind (UDP and TCP on one port). */
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Address the Via and Contact advertise, when it differs from the bound one (NAT, 0.0.0.0); over TLS, the certificate's hostname. */
  publicHost?: string;
  /** SIP over TLS: a listener with our certificate, extra CAs for our connections (sip.tls.ts); absent: no listener. */
  tls?: SipTlsOptions;
  t1Ms?: number;
  t2Ms?: number;
  /** The contact centre ended a call; the BYE is answered 200 once this resolves (500 if it throws). */
  onRemoteBye?(bye: RemoteBye): Promise<void> | void;
  /**
   * The agent wrote in a dialog of ours (an in-dialog MESSAGE, RFC 3428): the final response is what this resolves
   * to (500 with Retry-After if it throws). Without it, MESSAGE is refused 405.
   */
  onAgentMessage?(message: AgentMessage): Promise<AgentMessageAnswer>;
  /**
   * Sees every request first (the WhatsApp calls' back-to-back user agent, sip.b2bua.ts): true when it took the
   * request, false to let the handling below answer it.
   */
  onServerRequest?(request: SipRequest, inbound: Inbound): Promise<boolean>;
  /** Sees every response no transaction of this process claims (a call leg whose INVITE another process sent). */
  onStrayResponse?(response: SipResponse, source: SipHop): Promise<boolean>;
  logger?: Pick<Logger, 'warn' | 'info' | 'debug'>;
}

export interface InviteInput {
  requestUri: string;
  conversationId: string;
  callId: string;
  /** The user part of our From URI (the customer). */
  fromUser: string;
  extraHeaders: SipHeaders;
  /** No final answer by then: CANCEL if it rang, else give up. */
  timeoutMs: number;
  /** An SDP offer for the INVITE's body (session mode: the MSRP session, RFC 4975 §8). */
  sdp?: string;
  /** A body for the INVITE (the SDP offer of a bridged WhatsApp call). */
  content?: { contentType: string; body: string };
  /** Each provisional answer (1xx above 100), as it comes: a bridged call relays it to the caller. */
  onProvisional?(response: SipResponse): void;
  /** Aborted: the caller gave up (CANCEL if it rang, else abandon), exactly as at the timeout. */
  signal?: AbortSignal;
  /** Our From URI, when it is not `sip:<fromUser>@<our host>` (a business-initiated call: the business number at our SIP domain). */
  fromUri?: string;
  /** Answer one 401/407 digest challenge with these (Meta challenges a business-initiated INVITE). */
  credentials?: { username: string; password: string };
}

export type InviteResult =
  | { kind: 'answered'; response: SipResponse; dialog: SipDialog }
  | { kind: 'failed'; response: SipResponse }
  | { kind: 'noAnswer'; cancelled: boolean }
  | { kind: 'transportError'; error: Error };

/** An in-dialog MESSAGE the contact centre sent: the agent's words. */
export interface AgentMessage {
  callId: string;
  conversationId: string;
  /** The request's CSeq number: with the Call-ID it names this MESSAGE, retransmissions included. */
  cseq: number;
  /** Names the request instead of the CSeq where it did not come as a MESSAGE (`msrp:<Message-ID>`, session mode). */
  requestKey?: string;
  contentType: string;
  body: string;
}

/** The final response to an agent's MESSAGE (RFC 3428 §7: 2xx taken, 202 by a relay; 4xx/5xx not delivered; 6xx refused). */
export interface AgentMessageAnswer {
  status: number;
  reason: string;
  headers?: SipHeaders;
  /** Runs once the response is sent: a notice MESSAGE about this one must reach the agent after its answer. */
  afterwards?(): Promise<void>;
}

export type ByeResult = { kind: 'response'; status: number; reason: string } | { kind: 'timeout' } | { kind: 'transportError'; error: Error };

export interface SipAgent {
  /** Our advertised address (the bound port when 0 was asked for). */
  readonly local: LocalAddress;
  invite(input: InviteInput): Promise<InviteResult>;
  bye(dialog: SipDialog): Promise<ByeResult>;
  /** One in-dialog MESSAGE with CSeq `seq`: the same arguments send the same request, so a retry is a retransmission. */
  message(dialog: SipDialog, seq: number, content: InDialogContent): Promise<ByeResult>;
  /**
   * A re-INVITE in the dialog with CSeq `seq` (a bridged WhatsApp call relays one from the other leg): the final
   * answer, a 2xx ACKed in the dialog.
   */
  reinvite(dialog: SipDialog, seq: number, content?: InDialogContent): Promise<TransactionResult>;
  /** Sends one message as it is (a response of the bridged calls' server side, sip.b2bua.ts). */
  send(message: SipMessage, to: SipHop): Promise<void>;
  close(): Promise<void>;
}
