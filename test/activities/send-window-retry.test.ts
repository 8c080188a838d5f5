import { MockActivityEnvironment } from '@temporalio/testing';
import { createBrokerActivities } from '../../activities/broker.activities';
import { CloudApiError, type CloudApiClient } from '../../integrations/broker/cloud-api.client';
import { customerForIntegrator } from '../../services/customer-identity';
import type { Store } from '../../store/db';
import { messagesById } from '../../store/messages.store';
import { uniqueId } from '../support/env';
import { useTestStore } from '../support/test-store';

let store: Store;
useTestStore('send-window-retry', (connected) => (store = connected));

const NUMBER = '106540352242933';

describe("a send whose answer was lost, retried after the customer service window's end", () => {
  it('is asked again under its idempotency key and kept as sent, not failed as never sent', async () => {
    // The first attempt reached WhatsApp, which took the message (the customer has it), but its answer was lost (a
    // timeout: outcome unknown, retried under the same idempotency key). The retry comes after the window's end.
    const windowEnd = Date.parse('2026-11-30T10:00:00Z');
    let now = windowEnd - 1_000;
    const wamid = `wamid.${uniqueId('lost')}`;
    const taken = new Map<string, string>();
    const broker = {
      sendMessage: async (_number: string, _to: unknown, _content: unknown, idempotencyKey: string) => {
        const first = !taken.has(idempotencyKey);
        taken.set(idempotencyKey, wamid);
        if (first) throw new CloudApiError(0, 0, 'broker unreachable', 'The operation was aborted due to timeout', true);
        return { wamid: taken.get(idempotencyKey)! };
      },
    } as unknown as CloudApiClient;
    const activities = createBrokerActivities({ store, broker, clock: () => new Date(now) });
    const customer = await customerForIntegrator(store, NUMBER, { waId: '15550009911' }, new Date(now));
    const send = {
      messageId: uniqueId('msg'), conversationId: `wa:${NUMBER}:${customer.key}`, businessNumberId: NUMBER, customer,
      message: { type: 'text' as const, text: 'Your order left the warehouse' }, sender: { kind: 'integrator' as const }, acceptedAt: now - 5_000,
      sendBy: windowEnd,
    };

    await expect(new MockActivityEnvironment({ attempt: 1 }).run(activities.sendMessage, send)).rejects.toThrow(/broker unreachable/);
    now = windowEnd + 2_000;
    const retried = await new MockActivityEnvironment({ attempt: 2 }).run(activities.sendMessage, send);

    expect(retried).toEqual({ outcome: 'accepted', wamid });
    const stored = (await messagesById(store, [send.messageId])).get(send.messageId);
    expect(stored).toMatchObject({ wamid });
    expect(stored).not.toHaveProperty('failure');
  });
});
