import { ActivityFailure, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ConversationActivities } from '../activities/activities.types';
import type { ReceiptOutcome } from '../activities/receipts.activities';
import { toConversationStatus, type ConversationSnapshot } from '../machines/conversation.status';
import type { Sender } from '../machines/conversation.types';
import { TYPING_DEBOUNCE_MS, markReadUpdate, typingUpdate, type ReceiptAnswer } from './conversation.messages';

/** A read receipt is worth retrying for a while; a typing indicator later than a few seconds only misleads. */
const readReceipts = proxyActivities<Pick<ConversationActivities, 'sendReceipt'>>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const typingIndicator = proxyActivities<Pick<ConversationActivities, 'sendReceipt'>>({
  startToCloseTimeout: '5 seconds',
  scheduleToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '2 seconds' },
});

export interface ReceiptDeps {
  conversationId: string;
  businessNumberId: string;
  snapshot(): ConversationSnapshot;
  /** Throws the refusal when `sender` is an agent who does not hold the conversation. */
  refuseUnlessAgentMayWrite(sender: Sender): void;
}

const answer = (outcome: ReceiptOutcome): ReceiptAnswer =>
  outcome.outcome === 'sent' ? { sent: true } : { sent: false, reason: outcome.outcome };

/**
 * The `markRead` and `showTyping` updates. The workflow remembers the customer message it last marked read (a
 * re-opened thread costs nothing) and when it last showed typing; the activity is idempotent besides.
 */
export function installReceiptHandlers(deps: ReceiptDeps): void {
  let readUpTo: string | undefined;
  let typingAt = Number.NEGATIVE_INFINITY;
  const ids = { conversationId: deps.conversationId, businessNumberId: deps.businessNumberId };
  const latestInbound = () => deps.snapshot().context.recentMessages?.filter((m) => m.direction === 'inbound').at(-1)?.messageId;
  const validator = ({ sender }: { sender: Sender }) => deps.refuseUnlessAgentMayWrite(sender);

  setHandler(
    markReadUpdate,
    async (): Promise<ReceiptAnswer> => {
      const latest = latestInbound();
      if (latest === undefined) return { sent: false, reason: 'none' };
      if (latest === readUpTo) return { sent: false, reason: 'unchanged' };
      const outcome = await readReceipts.sendReceipt({ ...ids, messageId: latest, typing: false }).catch(swallow);
      if (outcome.outcome === 'sent' || outcome.outcome === 'unchanged') readUpTo = latest;
      return answer(outcome);
    },
    { validator },
  );

  setHandler(
    typingUpdate,
    async (): Promise<ReceiptAnswer> => {
      const now = Date.now();
      if (deps.snapshot().status === 'done') return { sent: false, reason: 'closed' };
      if (!toConversationStatus(deps.snapshot(), now).windowOpen) return { sent: false, reason: 'window_closed' };
      if (now - typingAt < TYPING_DEBOUNCE_MS) return { sent: false, reason: 'debounced' };
      // Armed before the call, so keystrokes while it runs are debounced too.
      const armedBefore = typingAt;
      typingAt = now;
      const latest = latestInbound();
      const outcome = await typingIndicator.sendReceipt({ ...ids, ...(latest ? { messageId: latest } : {}), typing: true }).catch(swallow);
      // Meta's typing call marks the message read as well.
      if (outcome.outcome === 'sent') readUpTo = latest;
      // A call that showed the customer nothing (refused, switched off) leaves the next one free; runs recorded
      // before kept the debounce armed, and replay as they ran.
      else if (typingAt === now && patched('typing-debounce-after-send')) typingAt = armedBefore;
      return answer(outcome);
    },
    { validator },
  );
}

/** The bot's read receipt runs beside the bot, whose answer waits for it: bounded to a minute, never raised. */
const botReceipts = proxyActivities<Pick<ConversationActivities, 'sendReceipt'>>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** Marks the customer's message read when a bot takes it. */
export async function markReadForBot(conversationId: string, businessNumberId: string, messageId: string): Promise<void> {
  await botReceipts.sendReceipt({ conversationId, businessNumberId, messageId, typing: false }).catch(swallow);
}

/** A receipt that could not be sent changes nothing in the conversation: it is reported, never raised. */
function swallow(err: unknown): ReceiptOutcome {
  if (!(err instanceof ActivityFailure)) throw err;
  return { outcome: 'refused', code: 0, title: err.message };
}
