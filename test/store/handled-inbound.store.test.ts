import { markInboundHandled } from '../../store/conversations.store';
import type { Store } from '../../store/db';
import type { InboundMessageDoc } from '../../store/documents';
import { insertInbound } from '../../store/messages.store';
import { uniqueId } from '../support/env';
import { useTestStore } from '../support/test-store';

let store: Store;
useTestStore('handled', (connected) => (store = connected));

const inbound = (wamid: string, extra: Partial<InboundMessageDoc> = {}): InboundMessageDoc => ({
  _id: wamid,
  direction: 'inbound',
  wamid,
  conversationId: 'wa:106540352242922:15550001111',
  businessNumberId: '106540352242922',
  customerKey: '15550001111',
  sortAt: 1,
  createdAt: new Date(),
  kind: 'text',
  type: 'text',
  text: 'hello',
  raw: '{}',
  handled: false,
  ...extra,
});

describe('customer messages marked handled by their conversation', () => {
  it('tells a redelivery apart before and after the conversation handled the message, once however often it is marked', async () => {
    const wamid = uniqueId('wamid');
    expect(await insertInbound(store, inbound(wamid))).toBe('inserted');
    expect(await insertInbound(store, inbound(wamid))).toBe('duplicate-unhandled');

    const at = new Date('2026-11-25T09:00:00Z');
    await markInboundHandled(store, [wamid], at);
    await markInboundHandled(store, [wamid], new Date()); // a retried activity
    expect(await insertInbound(store, inbound(wamid))).toBe('duplicate-handled');
    expect(await store.handledInbound.find({ _id: wamid }).toArray()).toEqual([{ _id: wamid, at }]);
    expect(await store.messages.countDocuments({ _id: wamid })).toBe(1);
  });

  it('still counts a message handled before handling was recorded apart (handled: true on the message)', async () => {
    const wamid = uniqueId('wamid');
    await store.messages.insertOne(inbound(wamid, { handled: true, handledAt: new Date() }));
    expect(await insertInbound(store, inbound(wamid))).toBe('duplicate-handled');
  });
});
