/**
 * The call workflow's messages and their payloads, importable by the API and the SIP side without workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CallLegEnded, InboundInvite } from '../integrations/sip/sip.call.types';

/** What a call is now; `ended` (answered, then hung up), `missed` (never answered), `abandoned` (caller hung up while it rang), `failed`. */
export type CallPhase = 'ringing' | 'answered' | 'ended' | 'missed' | 'abandoned' | 'failed';

/** Why a call ended, in our words (stable: analysts group by it). */
export type CallCause =
  | 'customer_hung_up'
  | 'agent_hung_up'
  | 'outside_call_hours'
  | 'no_agent_available'
  | 'no_answer'
  | 'rejected'
  | 'connector_restarted'
  | 'contact_centre_unreachable'
  | 'max_duration';

/** The call as the workflow keeps and stores it; times are epoch ms. */
export interface CallStatus {
  callId: string;
  conversationId: string;
  businessNumberId: string;
  customerNumber: string;
  /** `user_initiated`: Meta's INVITE rang the contact centre; `business_initiated`: an agent called the customer. */
  direction: 'user_initiated' | 'business_initiated';
  phase: CallPhase;
  offeredAt: number;
  attempts: number;
  queue: string;
  skill?: string;
  agentId?: string;
  answeredAt?: number;
  endedAt?: number;
  cause?: CallCause;
  /** From offer to answer (answered calls) or to the end (missed, abandoned), seconds. */
  waitSeconds?: number;
  /** From answer to hang-up, seconds. */
  talkSeconds?: number;
  /** The last failure the contact centre gave (e.g. `486 Busy Here`). */
  lastFailure?: string;
}

export interface CallWorkflowInput {
  invite: InboundInvite;
  conversationId: string;
  businessNumberId: string;
  /** The business number as the contact centre knows it (E.164 digits). */
  businessNumber: string;
  customerNumber: string;
  offeredAt: number;
  /** The number's call hours were closed when the INVITE came: the call is answered 480 and counted missed. */
  outsideCallHours: boolean;
  route: { queue: string; skill?: string };
  /** Busy answers are tried again this many times in all, this far apart (the chats' routing.retry). */
  retry: { maxAttempts: number; initialMs: number };
  /** Longest a call may last before the connector ends both legs (ms). */
  maxDurationMs: number;
  /**
   * The task queue of the process whose SIP socket holds the caller's INVITE: the attempts (and the refusal) run
   * there. Absent: the workflow's own queue (a single worker).
   */
  sipTaskQueue?: string;
}

/**
 * A business-initiated call: the contact centre's INVITE (`invite`, the agent dialling out) is placed to Meta's SIP
 * server for the customer once permission and Meta's limits allowed it (services/business-calls.service.ts).
 */
export interface BusinessCallWorkflowInput {
  invite: InboundInvite;
  conversationId: string;
  businessNumberId: string;
  /** E.164 digits: the From user of our INVITE to Meta, and the digest username. */
  businessNumber: string;
  /** The customer's wa_id (digits): the Request-URI user of our INVITE to Meta. */
  customerNumber: string;
  offeredAt: number;
  /** The agent dialling, from the contact centre's agent header, when it gave one. */
  agentId?: string;
  maxDurationMs: number;
  /** The process holding the contact centre's INVITE (see CallWorkflowInput.sipTaskQueue). */
  sipTaskQueue?: string;
}

export const callCancelledSignal = defineSignal('callCancelled');
export const callLegEndedSignal = defineSignal<[CallLegEnded]>('callLegEnded');
export const callStatusQuery = defineQuery<CallStatus>('callStatus');
