import type { Store } from '../../store/db';
import { isConnectorOutbound, type OutboundMessageDoc } from '../../store/documents';
import { ensureOutbound, listThread, recordAccepted, recordStatus } from '../../store/messages.store';
import { uniqueId } from '../support/env';
import { useTestStore } from '../support/test-store';

let store: Store;
useTestStore('statuses', (connected) => (store = connected));

const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 9, 0, second));

async function queuedReply(conversationId: string, messageId: string): Promise<void> {
  await ensureOutbound(store, {
    messageId,
    conversationId,
    businessNumberId: '106540352242922',
    customer: { key: '15550001111', waId: '15550001111' },
    message: { type: 'text', text: 'on its way' },
    sender: { kind: 'agent', id: 'agent-1' },
    acceptedAt: at(0).getTime(),
  });
}

async function threadOf(conversationId: string): Promise<OutboundMessageDoc> {
  const [message] = (await listThread(store, conversationId))?.docs ?? [];
  if (!message || !isConnectorOutbound(message)) throw new Error(`no outbound message in ${conversationId}`);
  return message;
}

describe('delivery statuses from the broker', () => {
  it('shows statuses that overtook the send’s own answer once that answer is recorded', async () => {
    const conversationId = uniqueId('conv');
    const messageId = uniqueId('msg');
    const wamid = uniqueId('wamid.out');
    await queuedReply(conversationId, messageId);
    expect(await recordStatus(store, { wamid, status: 'delivered', at: at(2), pricingCategory: 'service' })).toBe(true);
    expect((await threadOf(conversationId)).statusRank).toBe(0); // queued: nothing ties the wamid to it yet

    await recordAccepted(store, messageId, wamid, at(1));
    expect(await threadOf(conversationId)).toMatchObject({
      statusRank: 3, // delivered
      statusTimes: { accepted: at(1), delivered: at(2) },
      pricingCategory: 'service',
    });
  });

  it('keeps every status when they arrive together, and a repeat changes nothing', async () => {
    const conversationId = uniqueId('conv');
    const messageId = uniqueId('msg');
    const wamid = uniqueId('wamid.out');
    await queuedReply(conversationId, messageId);
    // The send's answer and all three statuses race, as they do when the broker answers fast.
    await Promise.all([
      recordAccepted(store, messageId, wamid, at(1)),
      ...(['sent', 'delivered', 'read'] as const).map((status, i) => recordStatus(store, { wamid, messageId, status, at: at(2 + i) })),
    ]);
    expect(await recordStatus(store, { wamid, messageId, status: 'delivered', at: at(9) })).toBe(false);

    const message = await threadOf(conversationId);
    expect(message.statusRank).toBe(4); // read: a late `delivered` does not move it back
    expect(message.statusTimes).toEqual({ queued: at(0), accepted: at(1), sent: at(2), delivered: at(3), read: at(4) });
  });

  it('shows a failure that came after read, with the broker’s reason', async () => {
    const conversationId = uniqueId('conv');
    const messageId = uniqueId('msg');
    const wamid = uniqueId('wamid.out');
    await queuedReply(conversationId, messageId);
    await recordAccepted(store, messageId, wamid, at(1));
    await recordStatus(store, { wamid, status: 'read', at: at(2) });
    const failure = { code: 131026, title: 'Message undeliverable', reason: 'broker_rejected' as const };
    await recordStatus(store, { wamid, status: 'failed', at: at(3), failure });
    expect(await threadOf(conversationId)).toMatchObject({ statusRank: 5, failure });
  });
});
