/**
 * The chatbot stage: each customer message goes to the configured bot endpoint over HTTP with the conversation's
 * context, within the configured timeout. Whatever goes wrong (slow, refusing, absent, or answering nonsense) comes
 * back as `failed`, never as an exception, so the workflow hands the customer to a person instead of waiting.
 */
import { z } from 'zod';
import type { AskBotEffect } from '../machines/conversation.types';
import type { Store } from '../store/db';
import type { MessageDoc } from '../store/documents';

/** What the bot answers: replies to send as session messages, and whether a person should take over. */
export const BotAnswer = z.object({
  replies: z.array(z.union([z.string().min(1).max(4096), z.object({ text: z.string().min(1).max(4096) }).transform((r) => r.text)])).max(10).default([]),
  handOff: z.boolean().default(false),
  reason: z.string().max(500).optional(),
});

export type BotOutcome =
  | { outcome: 'answered'; replies: string[]; handOff: boolean; reason?: string }
  | { outcome: 'failed'; reason: string };

/** The thread the bot sees: the last messages, oldest first. */
const CONTEXT_MESSAGES = 10;

function describe(doc: MessageDoc): { id: string; direction: 'inbound' | 'outbound'; type: string; text?: string; at: string } {
  const text = doc.direction === 'inbound' ? (doc.text ?? doc.image?.caption) : doc.content.type === 'text' ? doc.content.text : undefined;
  const type = doc.direction === 'inbound' ? doc.type : doc.content.type;
  return { id: doc._id, direction: doc.direction, type, ...(text !== undefined ? { text } : {}), at: new Date(doc.sortAt).toISOString() };
}

export function createBotActivities({ store }: { store: Store }) {
  return {
    async askBot(ask: AskBotEffect): Promise<BotOutcome> {
      const message = await store.messages.findOne({ _id: ask.messageId });
      const recent = await store.messages.find({ conversationId: ask.conversationId }).sort({ sortAt: -1, _id: -1 }).limit(CONTEXT_MESSAGES).toArray();
      const body = {
        conversationId: ask.conversationId,
        businessNumberId: ask.businessNumberId,
        customer: { key: ask.customer.key, ...(ask.customer.waId ? { waId: ask.customer.waId } : {}), ...(ask.customer.profileName ? { profileName: ask.customer.profileName } : {}) },
        message: message ? describe(message) : { id: ask.messageId },
        thread: recent.reverse().map(describe),
      };
      let response: Response;
      try {
        response = await fetch(ask.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': ask.messageId },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(ask.timeoutMs),
        });
      } catch (err) {
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        return { outcome: 'failed', reason: timedOut ? `no answer within ${ask.timeoutMs} ms` : `unreachable: ${(err as Error).message}` };
      }
      if (!response.ok) return { outcome: 'failed', reason: `answered HTTP ${response.status}` };
      let parsed: z.infer<typeof BotAnswer>;
      try {
        parsed = BotAnswer.parse(await response.json());
      } catch {
        return { outcome: 'failed', reason: 'answer is not the expected JSON ({ replies, handOff })' };
      }
      return { outcome: 'answered', replies: parsed.replies, handOff: parsed.handOff, ...(parsed.reason ? { reason: parsed.reason } : {}) };
    },
  };
}

export type BotActivities = ReturnType<typeof createBotActivities>;
