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
 * The debounce arms only when the indicator went out: a call refused (403 `not_assigned`, another agent holds the
 * conversation) or that sent nothing (`off`, `window_closed`…) leaves the next call, the holder's above all, free.
 */
export function createReceiptService(deps: { store: Store; temporal: Client; temporalDeadlineMs?: number }) {
  /** When the indicator last went out, per conversation (ms since the epoch). */
  const lastTyping = new Map<string, number>();
  /** The typing call in flight per conversation and sender: keystrokes meanwhile wait for it rather than each asking. */
  const typingInFlight = new Map<string, Promise<ReceiptAnswer>>();
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
      const debounced: ReceiptAnswer = { sent: false, reason: 'debounced' };
      if (Date.now() - (lastTyping.get(conversationId) ?? 0) < TYPING_DEBOUNCE_MS) {
        // Not "debounced" to an agent who may not type here at all: the read model names the holder, without an Update.
        const holder = sender.kind === 'agent' ? (await findConversation(deps.store, conversationId))?.agentId : undefined;
        if (holder && holder !== sender.id) throw new AppError('not_assigned');
        return debounced;
      }
      const key = `${conversationId}\n${sender.kind}:${sender.id ?? ''}`;
      // Same refusal for the same caller; once the one in flight showed the indicator, this keystroke is debounced.
      const running = typingInFlight.get(key);
      if (running) return running.then((answer) => (answer.sent ? debounced : answer));
      const startedAt = Date.now();
      const call = ask(conversationId, 'typing', sender)
        .then((answer) => {
          if (answer.sent) {
            if (lastTyping.size > 10_000) lastTyping.clear();
            lastTyping.set(conversationId, startedAt);
          }
          return answer;
        })
        .finally(() => typingInFlight.delete(key));
      typingInFlight.set(key, call);
      return call;
    },
  };
}

export type ReceiptService = ReturnType<typeof createReceiptService>;
