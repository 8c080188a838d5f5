/**
 * One WhatsApp call as the simulated Meta SIP server keeps it, either way round, and what both directions share:
 * Meta's user agent marks on the messages it builds with the project's SIP code, client-side digest credentials
 * (RFC 2617, MD5, qop=auth) and the `calls` webhooks told in order.
 */
import { randomBytes } from 'node:crypto';
import type { SipDialog } from '../integrations/sip/sip.types';
import type { SipMessage } from '../integrations/sip/sip.message';
import type { CallDirection, CallParties } from './calls-webhook';

export const META_USER_AGENT = 'WhatsApp-SIP-simulator';
export const META_ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS';
/** The digest realm of the simulator's challenge to a business's INVITE. */
export const META_REALM = 'wa.meta.vc';

export type SimCallState = 'calling' | 'ringing' | 'answered' | 'ended' | 'cancelled' | 'declined' | 'missed' | 'refused' | 'failed';

/** A call the simulator placed (USER_INITIATED) or was asked to take (BUSINESS_INITIATED). */
export interface SimCall extends CallParties {
  callId: string;
  state: SimCallState;
  /** Status codes of the answers the simulator received (its INVITEs) or sent (a business's INVITE), in order. */
  statuses: number[];
  offeredAt: number;
  answeredAt?: number;
  endedAt?: number;
  endedBy?: 'customer' | 'business';
  /** The final status of a call never connected (486, 487, 603, 403…). */
  finalStatus?: number;
  /** The session description the customer side sent (offer, or answer to a business's call). */
  sdp: string;
  /** The SDP the other side answered or offered. */
  remoteSdp?: string;
  dialog?: SipDialog;
  /** Next CSeq number of our requests in the dialog. */
  nextSeq: number;
  webhooks: Promise<unknown>;
}

/** What the simulator tells about a call (GET /_sim/calls), without its SIP internals. */
export function callView(c: SimCall) {
  const { dialog: _dialog, webhooks: _webhooks, nextSeq: _seq, ...view } = c;
  return { ...view, offeredAt: new Date(c.offeredAt).toISOString(), ...(c.answeredAt ? { answeredAt: new Date(c.answeredAt).toISOString() } : {}), ...(c.endedAt ? { endedAt: new Date(c.endedAt).toISOString() } : {}) };
}

/** Replaces the connector's User-Agent the shared builders write with Meta's. */
export function asMeta<M extends SipMessage>(message: M): M {
  message.headers = [...message.headers.filter(([n]) => n.toLowerCase() !== 'user-agent'), ['User-Agent', META_USER_AGENT]];
  return message;
}

export const newCallId = () => `${randomBytes(12).toString('hex')}@wa.meta.vc`;
export const newTag = () => randomBytes(6).toString('hex');
export const newBranch = () => `z9hG4bK${randomBytes(8).toString('hex')}`;

export type { CallDirection };
