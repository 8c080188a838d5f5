/**
 * A WhatsApp call belongs to the customer's conversation, the one their messages use: the customer registry's key
 * (README "Customers: one person, one conversation"), `wa:<phone number id>:<key>`, where the key is the person's
 * BSUID when WhatsApp gave one first, or whichever identifier fixed their conversation. {@link callConversation} is
 * the one way every call path finds it: the `calls` webhook (api/webhook.calls.ts), Meta's INVITE
 * (services/calls.service.ts) and the contact centre's INVITE (services/business-calls.service.ts).
 *
 * A call also opens or refreshes the customer's service window (Meta's Calling API pricing page: "When a WhatsApp
 * user calls you, regardless of if you accept the call or not; When a WhatsApp user accepts your call",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/): the user's own call from
 * the `calls` webhook, and a business-initiated call the user answered from its workflow
 * (workflows/business-call.workflow.ts), tell that conversation here.
 */
import type { Client } from '@temporalio/client';
import type { CustomerRef } from '../machines/conversation.types';
import { conversationWorkflowId } from '../lib/conversation-id';
import { customerForInbound, customerForIntegrator } from './customer-identity';
import type { Store } from '../store/db';
import { CONVERSATION_WORKFLOW_TYPE, customerCalledSignal, type ConversationWorkflowInput } from '../workflows/conversation.messages';

/** Who a call names on the WhatsApp user's side. */
export interface CallCustomer {
  /** The user's wa_id (digits), as Meta's `from`/`to`, a SIP From/Request-URI user, or the contact centre dialled it. */
  waId?: string;
  /** Their BSUID (`from_user_id`, `to_user_id`, `recipient_user_id`, `contacts[].user_id`) where Meta gives it. */
  userId?: string;
  profileName?: string;
}

/** The call's conversation: its id and the registry's customer (key, and the identifiers to reach them by). */
export interface CallConversation {
  conversationId: string;
  customer: CustomerRef;
}

/**
 * Learns the call's customer into the registry as a message's sender is learned and answers their conversation.
 * `namedBy`: `whatsapp` when Meta named them (webhook, Meta's INVITE: the wa_id is WhatsApp's own); `contact-centre`
 * when an agent dialled a number (only a guess at their wa_id until WhatsApp says, as an integrator's number is).
 * Throws as the store does.
 */
export async function callConversation(store: Store, businessNumberId: string, caller: CallCustomer, now: Date, namedBy: 'whatsapp' | 'contact-centre' = 'whatsapp'): Promise<CallConversation> {
  const customer =
    namedBy === 'whatsapp'
      ? await customerForInbound(
          store,
          businessNumberId,
          { hints: { ...(caller.waId ? { waId: caller.waId } : {}), ...(caller.userId ? { userId: caller.userId } : {}), ...(caller.profileName ? { profileName: caller.profileName } : {}) } },
          now,
        )
      : await customerForIntegrator(store, businessNumberId, { ...(caller.waId ? { waId: caller.waId } : {}), ...(caller.userId ? { userId: caller.userId } : {}) }, now);
  return { conversationId: conversationWorkflowId(businessNumberId, customer.key), customer };
}

export interface CustomerCallDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  idleCloseAfterMs: number;
  /** Bounds the signal-with-start (ms); unset: the client's own retries. */
  temporalDeadlineMs?: number;
}

export interface CustomerCallEvent {
  businessNumberId: string;
  /** Who called or answered; or `conversation`, when the caller already found it with {@link callConversation}. */
  caller: CallCustomer;
  conversation?: CallConversation;
  /** Meta's call id (`wacid.…`) or, for a call placed over SIP, its Call-ID: the conversation takes each once. */
  callId: string;
  /** When the user called, or answered the business's call (epoch ms). */
  calledAt: number;
  receivedAt: Date;
}

/**
 * Signal-with-start on the customer's conversation ({@link callConversation}). Throws as the store or Temporal do (the
 * webhook answers 503; an activity is retried).
 */
export async function tellConversationOfCall(deps: CustomerCallDeps, call: CustomerCallEvent): Promise<void> {
  const { conversationId, customer } = call.conversation ?? (await callConversation(deps.store, call.businessNumberId, call.caller, call.receivedAt));
  const input: ConversationWorkflowInput = { conversation: { conversationId, businessNumberId: call.businessNumberId, customer, idleCloseAfterMs: deps.idleCloseAfterMs } };
  const signal = () =>
    deps.temporal.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
      workflowId: conversationId,
      taskQueue: deps.taskQueue,
      args: [input],
      signal: customerCalledSignal,
      // A call dated ahead of its receipt (a clock running fast) is told as received then: the window is capped there
      // anyway, and lastCalledAt and the timeline must not show a call in the future.
      signalArgs: [{ callId: call.callId, calledAt: Math.min(call.calledAt, call.receivedAt.getTime()) }],
    });
  await (deps.temporalDeadlineMs === undefined ? signal() : deps.temporal.connection.withDeadline(Date.now() + deps.temporalDeadlineMs, signal));
}
