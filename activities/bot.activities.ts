/**
 * The chatbot stage: each customer message goes to the configured bot endpoint over HTTP with the conversation's
 * context, within the configured timeout. Whatever goes wrong (slow, refusing, absent, or answering nonsense) comes
 * back as `failed`, never as an exception, so the workflow hands the customer to a person instead of waiting.
 */
import { z } from 'zod';
import type { AskBotEffect, BotReply } from '../machines/conversation.types';
import { ButtonsMessage, ContactsMessage, CtaUrlMessage, ListMessage, LocationMessage, LocationRequestMessage, TextMessage } from '../lib/session-messages';
import { threadOrder } from '../lib/thread-order';
import { toMessageView } from '../services/conversation-views';
import type { Store } from '../store/db';
import type { MessageDoc } from '../store/documents';

/** Session messages a bot may answer with (no media, no reaction): Meta's limits apply as for any send. */
const BotTypedReply = z
  .discriminatedUnion('type', [TextMessage, LocationMessage, ContactsMessage, ButtonsMessage, ListMessage, CtaUrlMessage, LocationRequestMessage])
  // A bot's reply quotes nothing: it answers the message it was asked about.
  .transform(({ replyTo: _quote, ...reply }): BotReply => reply as BotReply);

/**
 * What the bot answers: replies to send as session messages (a string, `{ text }`, or a typed message such as
 * `{ type: 'buttons', body, buttons }` or `{ type: 'list', body, button, sections }`), and whether a person should take over.
 */
export const BotAnswer = z.object({
  replies: z
    .array(z.union([z.string().min(1).max(4096), BotTypedReply, z.object({ text: z.string().min(1).max(4096) }).transform((r) => r.text)]))
    .max(10)
    .default([]),
  handOff: z.boolean().default(false),
  reason: z.string().max(500).optional(),
});

export type BotOutcome =
  | { outcome: 'answered'; replies: BotReply[]; handOff: boolean; reason?: string }
  | { outcome: 'failed'; reason: string };

/** The thread the bot sees: the last messages, oldest first. */
const CONTEXT_MESSAGES = 10;

/** A message as the bot sees it: the thread API's view (structured per type), with `text` for whatever reads as text. */
function describe(doc: MessageDoc) {
  const { status: _status, failure: _failure, pricingCategory: _pricing, ...view } = toMessageView(doc);
  const text = view.text ?? view.image?.caption ?? view.video?.caption ?? view.document?.caption ?? view.interactive?.title ?? view.button?.text;
  return { ...view, ...(text !== undefined ? { text } : {}) };
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
        // In the thread's order (lib/thread-order.ts): messages written in one second by the order they arrived.
        thread: recent.sort(threadOrder).map(describe),
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
      const parsed = BotAnswer.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { outcome: 'failed', reason: `answer is not the expected JSON ({ replies, handOff }): ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() };
      }
      const { replies, handOff, reason } = parsed.data;
      return { outcome: 'answered', replies, handOff, ...(reason ? { reason } : {}) };
    },
  };
}

export type BotActivities = ReturnType<typeof createBotActivities>;
