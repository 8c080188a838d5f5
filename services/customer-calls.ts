/**
 * A WhatsApp call opens or refreshes the customer's service window (Meta's Calling API pricing page: "When a
 * WhatsApp user calls you, regardless of if you accept the call or not; When a WhatsApp user accepts your call",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/). Both ways in tell the
 * customer's conversation here: the user's own call from the `calls` webhook (api/webhook.calls.ts), and a
 * business-initiated call the user answered from its workflow (workflows/business-call.workflow.ts).
 */
import type { Client } from '@temporalio/client';
import { customerForInbound } from './customer-identity';
import type { Store } from '../store/db';
import { CONVERSATION_WORKFLOW_TYPE, conversationWorkflowId, customerCalledSignal, type ConversationWorkflowInput } from '../workflows/conversation.messages';

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
  /** The WhatsApp user's wa_id (digits). */
  waId: string;
  profileName?: string;
  /** Meta's call id (`wacid.…`) or, for a call placed over SIP, its Call-ID: the conversation takes each once. */
  callId: string;
  /** When the user called, or answered the business's call (epoch ms). */
  calledAt: number;
  receivedAt: Date;
}

/**
 * Signal-with-start on the customer's conversation, under the workflow id their messages use (the customer registry's
 * key). Throws as the store or Temporal do (the webhook answers 503; an activity is retried).
 */
export async function tellConversationOfCall(deps: CustomerCallDeps, call: CustomerCallEvent): Promise<void> {
  const hints = { waId: call.waId, ...(call.profileName ? { profileName: call.profileName } : {}) };
  const customer = await customerForInbound(deps.store, call.businessNumberId, { hints }, call.receivedAt);
  const conversationId = conversationWorkflowId(call.businessNumberId, customer.key);
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
