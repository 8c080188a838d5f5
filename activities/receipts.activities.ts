import { ApplicationFailure } from '@temporalio/activity';
import { CloudApiError, type CloudApiClient } from '../integrations/broker/cloud-api.client';
import type { Store } from '../store/db';
import { defaultReceipts, findNumber } from '../store/numbers.store';

/** Mark the customer's message read (`typing`: and show the typing indicator). */
export interface ReceiptRequest {
  conversationId: string;
  businessNumberId: string;
  /** The customer's message (its wamid), as the workflow ordered them; absent: the latest stored one. */
  messageId?: string;
  typing: boolean;
}

/** `sent`: the broker took it; `unchanged`: already marked; `off`: the number has it switched off; `none`: nothing to mark. */
export type ReceiptOutcome = { outcome: 'sent' | 'unchanged' | 'off' | 'none'; wamid?: string } | { outcome: 'refused'; code: number; title: string };

/**
 * Read receipts and the typing indicator, one Cloud API call (Meta: "Typing indicators",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators/): marking the latest
 * customer message read marks every earlier one, and the indicator shows until our next message or for 25 s.
 * Idempotent: a plain read receipt is sent once per customer message (remembered on the message); the workflow
 * debounces typing. Per-number switches (`receipts` on the number, both on when absent) are read at the call.
 */
export function createReceiptActivities({ store, broker, clock }: { store: Store; broker: CloudApiClient; clock: () => Date }) {
  return {
    async sendReceipt(request: ReceiptRequest): Promise<ReceiptOutcome> {
      const settings = (await findNumber(store, request.businessNumberId))?.receipts ?? defaultReceipts;
      if (!(request.typing ? settings.typing : settings.markRead)) return { outcome: 'off' };
      // Messages written within the same second tie on sortAt: the workflow's own order names the latest.
      const [latest] = request.messageId
        ? await store.messages.find({ _id: request.messageId, conversationId: request.conversationId }).limit(1).toArray()
        : await store.messages.find({ conversationId: request.conversationId, direction: 'inbound' }).sort({ sortAt: -1, _id: -1 }).limit(1).toArray();
      if (latest?.direction !== 'inbound') return { outcome: 'none' };
      if (!request.typing && latest.readReceiptAt) return { outcome: 'unchanged', wamid: latest.wamid };
      try {
        await broker.markRead(request.businessNumberId, latest.wamid, request.typing);
      } catch (err) {
        if (!(err instanceof CloudApiError)) throw err;
        if (err.retryable) throw ApplicationFailure.retryable(err.message, 'BrokerUnavailable', { code: err.code });
        return { outcome: 'refused', code: err.code, title: err.title };
      }
      await store.messages.updateOne({ _id: latest._id }, { $set: { readReceiptAt: clock() } });
      return { outcome: 'sent', wamid: latest.wamid };
    },
  };
}
