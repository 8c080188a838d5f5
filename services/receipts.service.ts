import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sender } from '../machines/conversation.types';
import { AppError } from '../lib/errors';
import type { Store } from '../store/db';
import { findConversation } from '../store/conversations.store';
import { TYPING_DEBOUNCE_MS, markReadUpdate, typingUpdate, type ReceiptAnswer } from '../workflows/conversation.messages';

/**
 * Read receipts and the typing indicator as agents cause them: opening a conversation marks the customer's messages
 * read, typing shows the indicator. Both go to the conversation's workflow (which calls WhatsApp through an activity
 * and decides for good); typing is also debounced here per API process, so keystrokes do not each become an Update.
 */
export function createReceiptService(deps: { store: Store; temporal: Client; temporalDeadlineMs?: number }) {
  const lastTyping = new Map<string, number>();
  const bounded = <T>(call: () => Promise<T>) => deps.temporal.connection.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 10_000), call);

  async function ask(conversationId: string, kind: 'read' | 'typing', sender: Sender): Promise<ReceiptAnswer> {
    // The read model may not have projected a conversation whose webhook was just acknowledged: the workflow decides.
    const known = (await findConversation(deps.store, conversationId)) !== null;
    try {
      const handle = deps.temporal.workflow.getHandle(conversationId);
      return await bounded(() => handle.executeUpdate(kind === 'read' ? markReadUpdate : typingUpdate, { args: [{ sender }] }));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      if (!known) throw new AppError('unknown_conversation', `No conversation ${conversationId}`);
      return { sent: false, reason: 'closed' };
    }
  }

  return {
    markRead: (conversationId: string, sender: Sender) => ask(conversationId, 'read', sender),
    async typing(conversationId: string, sender: Sender): Promise<ReceiptAnswer> {
      const now = Date.now();
      if (now - (lastTyping.get(conversationId) ?? 0) < TYPING_DEBOUNCE_MS) return { sent: false, reason: 'debounced' };
      if (lastTyping.size > 10_000) lastTyping.clear();
      lastTyping.set(conversationId, now);
      return ask(conversationId, 'typing', sender);
    },
  };
}

export type ReceiptService = ReturnType<typeof createReceiptService>;
