import { createBrokerActivities } from '../../activities/broker.activities';
import type { CloudApiClient } from '../../integrations/broker/cloud-api.client';
import { CloudInboundMessage } from '../../api/webhook.schema';
import { customerForInbound, customerForIntegrator, inboundIdentity, learnFromStatus } from '../../services/customer-identity';
import type { Store } from '../../store/db';
import { mongoRegistry } from '../../store/customer-registry.db';
import { findCustomerBy } from '../../store/customers.store';
import { uniqueId } from '../support/env';
import { useTestStore } from '../support/test-store';

let store: Store;
useTestStore('identity', (connected) => (store = connected));

const NUMBER = '106540352242922';
const now = new Date('2026-11-30T10:00:00Z');
const person = (value: string) => findCustomerBy(mongoRegistry(store), /^[A-Z]{2}\./.test(value) ? { kind: 'bsuid', value } : { kind: 'phone', value });

describe('identifiers learned beyond inbound messages', () => {
  it("lets the broker's send answer decide a number no rule covers, and the customer's next message joins that conversation", async () => {
    // Côte d'Ivoire went to 10 digits in 2021; an account from before keeps its 8-digit WhatsApp id: only WhatsApp knows.
    const typed = '2250545123456';
    const waId = '22545123456';
    const customer = await customerForIntegrator(store, NUMBER, { waId: typed }, now);
    const sent: string[] = [];
    // Only the send is used here; the rest of the client is not reached.
    const broker = {
      sendMessage: async (_number: string, to: { waId?: string }) => {
        sent.push(to.waId ?? '');
        return { wamid: `wamid.${uniqueId('x')}`, waId };
      },
    } as unknown as CloudApiClient;
    const activities = createBrokerActivities({ store, broker, clock: () => now });
    const outcome = await activities.sendMessage({
      messageId: uniqueId('msg'), conversationId: `wa:${NUMBER}:${customer.key}`, businessNumberId: NUMBER, customer,
      message: { type: 'template', name: 'order_update', language: 'en_US' }, sender: { kind: 'integrator' }, acceptedAt: now.getTime(),
    });
    expect(outcome.outcome).toBe('accepted');
    expect(sent).toEqual([typed]);
    expect((await person(waId))?._id).toBe((await person(typed))?._id);
    expect((await person(typed))?.waId).toBe(waId);
    // The conversation still remembers the typed number; the next send goes to WhatsApp's id all the same.
    await activities.sendMessage({
      messageId: uniqueId('msg'), conversationId: `wa:${NUMBER}:${customer.key}`, businessNumberId: NUMBER, customer,
      message: { type: 'template', name: 'order_update', language: 'en_US' }, sender: { kind: 'integrator' }, acceptedAt: now.getTime(),
    });
    expect(sent).toEqual([typed, waId]);
    expect((await person(typed))?.waId).toBe(waId);

    const message = CloudInboundMessage.parse({ from: waId, id: 'wamid.ci', timestamp: '1764496800', type: 'text', text: { body: 'merci' } });
    const writes = await customerForInbound(store, NUMBER, inboundIdentity({ wa_id: waId }, message), now);
    expect(writes.key).toBe(customer.key);
  });

  it('re-points the person on user_changed_user_id (no phone number in the notice)', async () => {
    const message = CloudInboundMessage.parse({ from: '15550007777', from_user_id: 'US.1000777', id: 'wamid.a', timestamp: '1764496800', type: 'text', text: { body: 'hi' } });
    const first = await customerForInbound(store, NUMBER, inboundIdentity({ wa_id: '15550007777', user_id: 'US.1000777' }, message), now);
    const notice = CloudInboundMessage.parse({
      from_user_id: 'US.1000777', id: 'wamid.b', timestamp: '1764496900', type: 'system',
      system: { body: 'User changed', type: 'user_changed_user_id', user_id: 'US.2000777', previous_user_id: 'US.1000777' },
    });
    const after = await customerForInbound(store, NUMBER, inboundIdentity(undefined, notice), now);
    expect(after.key).toBe(first.key);
    expect((await person('US.2000777'))?._id).toBe((await person('15550007777'))?._id);
    expect((await person('US.2000777'))?.userId).toBe('US.2000777');
    expect((await person('15550007777'))?.waId).toBe('15550007777');
  });

  it("learns a status's recipient_id and recipient_user_id as one person", async () => {
    const byPhone = await customerForIntegrator(store, NUMBER, { waId: '15550008888' }, now);
    await learnFromStatus(store, { id: 'wamid.s', status: 'delivered', timestamp: '1764496800', recipient_id: '15550008888', recipient_user_id: 'US.3000888' }, now);
    expect((await person('US.3000888'))?.conversationKey).toBe(byPhone.key);
  });
});
