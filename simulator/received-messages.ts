/**
 * What the simulated broker knows about the messages a business may mark read or react to: every customer message it
 * delivered (wamid, type, sender, number, time). Meta's mark-messages-as-read page
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read): "Mark
 * incoming messages as read within 30 days of receipt"; "If you mark a message as read with an invalid message ID, the
 * API returns error code 131009 ("Parameter value is not valid"). Provide a valid wamid from a received message": so a
 * read of a message received more than 30 days ago, or of one the business sent, is refused in the answer. Meta's
 * reaction-messages page (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/reaction-messages): "If the
 * message you are reacting to is more than 30 days old, doesn't correspond to any message in the chat thread, has been
 * deleted, or is itself a reaction message, the reaction message will not be delivered and you will receive a messages
 * webhook with error code 131009": the send is answered, then a `failed` status with 131009 follows. A wamid the
 * broker never delivered (a test posting its own webhook, a restart) is not judged: Meta would know it, the simulator
 * does not.
 */
import type { LateFailure } from './status-webhooks';
import type { CloudRefusal } from './session-messages.validate';
import { receivedAt, webhookItems } from './webhook-items';

const REACTABLE_MS = 30 * 24 * 60 * 60 * 1000;
/** Messages remembered at most; the oldest are forgotten first (a benchmark delivers hundreds of thousands). */
const REMEMBERED = 100_000;

interface Delivered {
  phoneNumberId: string;
  from: string;
  type: string;
  /** The message's own timestamp, epoch ms, never later than its receipt (webhook-items.ts `receivedAt`). */
  at: number;
}

const digits = (s: string) => s.replace(/\D/g, '');

export function receivedMessages() {
  const delivered = new Map<string, Delivered>();
  /** wamids of the business's own sends, for refusing a read of one (bounded like `delivered`). */
  const sentByBusiness = new Set<string>();
  return {
    /** A send the broker accepted. */
    noteSent(wamid: string): void {
      sentByBusiness.add(wamid);
      if (sentByBusiness.size > REMEMBERED) sentByBusiness.delete(sentByBusiness.values().next().value!);
    },
    /** Every webhook the broker delivers passes here: it remembers the customer messages in it. */
    noteDelivered(body: object): void {
      type Message = { id: string; from: string; type: string; timestamp: string };
      for (const { phoneNumberId, item: m } of webhookItems<Message>(body, 'messages')) {
        if (!m.id || !m.from || !m.type) continue;
        delivered.set(m.id, { phoneNumberId, from: digits(m.from), type: m.type, at: receivedAt(m.timestamp) });
        if (delivered.size > REMEMBERED) delivered.delete(delivered.keys().next().value!);
      }
    },
    /**
     * Meta's refusal of a mark-as-read (or typing indicator) naming `messageId`, if it is none of the messages a customer
     * sent within 30 days (one the business sent is none). A wamid it never saw is not judged.
     */
    readRefusal(messageId: string): CloudRefusal | undefined {
      const target = delivered.get(messageId);
      const why = sentByBusiness.has(messageId) ? 'is not a message the business received' : target && Date.now() - target.at > REACTABLE_MS ? 'was received more than 30 days ago' : undefined;
      return why ? { status: 400, code: 131009, message: `(#131009) Parameter value is not valid: message_id ${messageId} ${why}` } : undefined;
    },
    /** Meta's late failure of an accepted reaction send, if the message it names is one it cannot react to; `waIdOf`: Meta's wa_id for a `to`. */
    lateFailure(phoneNumberId: string, body: Record<string, unknown>, waIdOf: (to: string) => string = digits): LateFailure | undefined {
      const messageId = body.type === 'reaction' ? (body.reaction as { message_id?: unknown } | undefined)?.message_id : undefined;
      const target = typeof messageId === 'string' ? delivered.get(messageId) : undefined;
      if (!target) return undefined;
      // `to` as sent, or the wa_id Meta resolves it to (a BSUID `recipient` is not compared).
      const to = typeof body.to === 'string' ? [digits(body.to), digits(waIdOf(body.to))] : undefined;
      const why =
        target.type === 'reaction'
          ? 'is itself a reaction message'
          : target.phoneNumberId !== phoneNumberId || (to !== undefined && !to.includes(target.from))
            ? "doesn't correspond to any message in the conversation"
            : Date.now() - target.at > REACTABLE_MS
              ? 'is more than 30 days old'
              : undefined;
      return why ? { code: 131009, title: 'Parameter value is not valid', details: `reaction.message_id ${messageId as string} ${why}` } : undefined;
    },
  };
}
