/**
 * What the call workflow and the back-to-back user agent (sip.b2bua.ts) exchange: plain JSON, kept in the workflow's
 * history, so a call outlives the worker process whose SIP socket set it up; and the hooks through which the user
 * agent asks the call service (admission, start, cancel, hang-up). sip.b2bua.ts re-exports the hooks' types.
 */
import type { SipHeaders, SipRequest } from './sip.message';
import type { SipHop } from './sip.dialog';
import type { SipDialog } from './sip.types';

/** The INVITE of Meta's SIP server (a WhatsApp user calls the business), as received. */
export interface InboundInvite {
  /** Meta's Call-ID: the call's key everywhere (workflow id `call:<callId>`, the calls collection's _id). */
  callId: string;
  /** The request as parsed: any process can answer it (Via, From, To, CSeq are in it) after a restart. */
  request: SipRequest;
  /** Where it came from: where a response goes when the transaction's connection is gone. */
  source: SipHop;
  /** The caller (the WhatsApp user): the From URI's user part, digits of the wa_id with or without `+`. */
  fromUser: string;
  /** The business number called: the To URI's user part. */
  toUser: string;
}

/** One attempt to ring the contact centre for a WhatsApp call. */
export interface OfferCallRequest {
  callId: string;
  attempt: number;
  conversationId: string;
  customerNumber: string;
  businessNumber: string;
  businessNumberId: string;
  queue: string;
  skill?: string;
}

/** A business-initiated call to place to Meta (the agent's INVITE, `callId`, is held by the process running it). */
export interface PlaceCallRequest {
  callId: string;
  conversationId: string;
  businessNumberId: string;
  /** E.164 digits. */
  businessNumber: string;
  /** The customer's wa_id, digits. */
  customerNumber: string;
}

/**
 * What an attempt came to. `answered`: the agent took it and the caller got the 200 with the agent's SDP; both
 * dialogs are returned for the workflow to keep. `cancelled`: the caller hung up while it rang. `lost`: this process
 * does not hold the caller's INVITE (the worker that received it died): nothing was sent. `unreachable`: the
 * contact centre could not be reached at all (no connection: refused, reset, no route); not a busy answer.
 */
export type OfferCallOutcome =
  | { outcome: 'answered'; agentId: string; agentDialog: SipDialog; customerDialog: SipDialog }
  | { outcome: 'busy'; status: number; reason: string; retryAfterSeconds?: number }
  | { outcome: 'rejected'; status: number; reason: string }
  | { outcome: 'noAnswer' }
  | { outcome: 'cancelled' }
  | { outcome: 'unreachable'; reason: string }
  | { outcome: 'lost' };

/** A leg of an answered call ended (a BYE came in): the workflow ends the other one. */
export interface CallLegEnded {
  callId: string;
  by: 'customer' | 'agent';
  /** Meta's `x-wa-meta-call-duration` on its BYE, seconds. */
  reportedDurationSeconds?: number;
}

/** Whether and how a call is taken, as the number's calling settings say (services/calls.service.ts). */
export type Admission = { kind: 'refuse'; status: number; reason: string; headers?: SipHeaders } | { kind: 'accept'; password?: string };

/** What the back-to-back user agent asks of the call service (services/calls.service.ts) as a call's requests come in. */
export interface CallHooks {
  admit(invite: InboundInvite): Promise<Admission>;
  /** Starts the call's workflow (idempotent on the Call-ID). A throw answers 503. */
  offered(invite: InboundInvite): Promise<void>;
  /** The caller CANCELled while it rang (the 487 is already sent). */
  cancelled(callId: string): Promise<void>;
  /** A BYE on either leg: false when no such call is known (481). */
  legEnded(event: CallLegEnded): Promise<boolean>;
}

/** One attempt to ring the contact centre, as the call workflow's `offerCall` activity asks it of sip.b2bua.ts. */
export interface OfferInput {
  callId: string;
  attempt: number;
  conversationId: string;
  requestUri: string;
  extraHeaders: SipHeaders;
  timeoutMs: number;
  agentHeader: string;
  /** A business-initiated call to Meta: our From URI and the number's SIP credentials for Meta's digest challenge. */
  fromUri?: string;
  credentials?: { username: string; password: string };
}

export type { SipHeaders };
