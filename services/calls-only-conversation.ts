/**
 * A conversation that exists only as WhatsApp calls: the customer called and no `calls` webhook told us (SIP calls send
 * none unless enabled), or the business called and the customer did not accept (RINGING, REJECTED: no window opens,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/). Its calls have its id
 * (the contact centre gets it as `X-Conversation-Id` on the INVITE) and its thread lists them, so the conversation is
 * one every route finds, shown as one with no window: `state: "closed"`, `closedReason: null`, nothing counted. A
 * free-form reply answers 409 `conversation_closed` and a template starts it, as for any closed conversation.
 */
import type { ConversationStatus } from '../machines/conversation.status';
import { listCallEvents } from '../store/call-events.store';
import { listCalls } from '../store/calls.store';
import type { Store } from '../store/db';
import { conversationIdParts } from '../lib/conversation-id';

/** The status of a conversation known only by its calls (see the file's comment), or null when it has none. */
export async function callsOnlyConversation(store: Store, conversationId: string): Promise<ConversationStatus | null> {
  const parts = conversationIdParts(conversationId);
  if (!parts) return null;
  const [calls, events] = await Promise.all([listCalls(store, conversationId), listCallEvents(store, conversationId)]);
  if (calls.length === 0 && events.length === 0) return null;
  const waId = calls[0]?.customerNumber ?? events[0]?.customer;
  // The customer's own calls, not the business's: what lastCalledAt means for any conversation; a `connect` dated ahead
  // of its receipt counts at its receipt, as the machine counts it (lastCallAfter).
  const theirs = [
    ...calls.filter((c) => c.direction === 'user_initiated').map((c) => +new Date(c.offeredAt)),
    ...events.filter((e) => e.direction === 'USER_INITIATED').map((e) => Math.min(+new Date(e.at), +new Date(e.receivedAt))),
  ];
  return {
    conversationId,
    businessNumberId: parts.businessNumberId,
    customer: { key: parts.customerKey, ...(waId ? { waId: waId.replace(/\D/g, '') } : {}) },
    state: 'closed',
    windowOpen: false,
    windowClosesAt: null,
    lastInboundAt: null,
    ...(theirs.length ? { lastCalledAt: new Date(Math.max(...theirs)).toISOString() } : {}),
    agentId: null,
    inboundCount: 0,
    outboundCount: 0,
    firstInboundAt: null,
    firstResponseAt: null,
    closedReason: null,
    routing: { phase: 'none', queue: null, attempt: 0 },
    assignedAt: null,
    holdTimeMs: null,
    firstResponseMs: null,
    lastMessages: [],
  };
}
