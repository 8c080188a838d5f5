import type { ConversationStatus } from '../machines/conversation.status';
import { isConnectorOutbound, outboundStatuses, type ConversationDoc, type MessageDoc } from '../store/documents';
import type { AgentDeliveryDoc } from '../store/agent-deliveries.store';
import type { ReactionView } from '../store/reactions.store';
import type { ConversationView, MessageView } from '../api/conversations.schema';
import { outboundContentView } from './outbound-view';
import { inboundFieldsView } from './inbound-view';

/**
 * A conversation as the API shows it, from the read model's document or the workflow's status query: the store's own
 * fields (`_id`, `projectionKey`, `updatedAt`) dropped, and the fields a document projected before they existed lacks
 * given their empty value.
 */
export function toConversationView(doc: ConversationDoc | ConversationStatus): ConversationView {
  const { _id, projectionKey: _key, updatedAt: _updated, ...status } = doc as Partial<ConversationDoc> & ConversationStatus;
  // Documents projected before a field existed lack it.
  return {
    ...status,
    lastMessages: status.lastMessages ?? [],
    routing: status.routing ?? { phase: status.agentId ? 'assigned' : 'none', queue: null, attempt: 0 },
    assignedAt: status.assignedAt ?? null,
    holdTimeMs: status.holdTimeMs ?? null,
    firstResponseMs: status.firstResponseMs ?? null,
  };
}

/**
 * A stored message as the thread API shows it: `delivery` to the agent's SIP chat when there was one, and `reactions`
 * by wamid (see reactionsByWamid) put on the message each reacts to.
 */
export function toMessageView(doc: MessageDoc, delivery?: AgentDeliveryDoc, reactions?: ReadonlyMap<string, ReactionView[]>): MessageView {
  const at = new Date(doc.sortAt).toISOString();
  const toAgent = delivery ? { deliveredToAgent: { at: delivery.at.toISOString(), callId: delivery.callId } } : {};
  const reacted = doc.wamid ? reactions?.get(doc.wamid) : undefined;
  if (doc.direction === 'inbound') {
    return {
      id: doc._id,
      direction: 'inbound',
      type: doc.type,
      ...(doc.text !== undefined ? { text: doc.text } : {}),
      ...inboundFieldsView(doc),
      status: 'received',
      at,
      wamid: doc.wamid,
      ...toAgent,
      ...(reacted ? { reactions: reacted } : {}),
    };
  }
  if (!isConnectorOutbound(doc)) {
    // Written from the WhatsApp Business app (coexistence): its content as Meta echoed it, in the inbound fields' shape.
    return {
      id: doc._id,
      direction: 'outbound',
      type: doc.type,
      ...(doc.text !== undefined ? { text: doc.text } : {}),
      ...inboundFieldsView(doc),
      ...(doc.reaction ? { reaction: doc.reaction } : {}),
      source: 'business_app',
      status: outboundStatuses[doc.statusRank] ?? 'sent',
      at,
      wamid: doc.wamid,
      sender: doc.sender,
      ...(doc.pricing ? { pricing: doc.pricing } : {}),
      ...(doc.failure ? { failure: doc.failure } : {}),
      ...(reacted ? { reactions: reacted } : {}),
    };
  }
  const content = doc.content;
  return {
    id: doc._id,
    direction: 'outbound',
    type: content.type,
    ...outboundContentView(content),
    status: outboundStatuses[doc.statusRank] ?? 'queued',
    ...(doc.statusTimes.played ? { playedAt: new Date(doc.statusTimes.played).toISOString() } : {}),
    at,
    ...(doc.wamid ? { wamid: doc.wamid } : {}),
    sender: doc.sender,
    ...(doc.pricingCategory ? { pricingCategory: doc.pricingCategory } : {}),
    ...(doc.pricing ? { pricing: doc.pricing } : {}),
    ...(doc.failure ? { failure: doc.failure } : {}),
    ...toAgent,
    ...(reacted ? { reactions: reacted } : {}),
    ...(doc.recipientWaId ? { recipientWaId: doc.recipientWaId } : {}),
  };
}
