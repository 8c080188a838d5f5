import type { Store } from '../../store/db';
import type { InboundMessageDoc } from '../../store/documents';
import { listThread } from '../../store/messages.store';
import { uniqueId } from '../support/env';
import { useTestStore } from '../support/test-store';

let store: Store;
useTestStore('thread-pages', (connected) => (store = connected));

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);

/**
 * `count` customer messages, three to a second (WhatsApp's timestamps are whole seconds), received in order: message
 * i is written in second floor(i / 3) and received i ms after that second's first.
 */
async function customerWrites(conversationId: string, count: number): Promise<string[]> {
  const docs: InboundMessageDoc[] = Array.from({ length: count }, (_, i) => {
    const second = T0 + Math.floor(i / 3) * 1000;
    return {
      _id: `${conversationId}.m${i}`,
      direction: 'inbound',
      wamid: `${conversationId}.m${i}`,
      conversationId,
      businessNumberId: '106540352242922',
      customerKey: '15550001111',
      sortAt: second,
      seq: (second + 500 + i) * 1000,
      createdAt: new Date(second + 500 + i),
      kind: 'text',
      type: 'text',
      text: `message ${i}`,
      raw: '{}',
      handled: true,
    } as InboundMessageDoc;
  });
  // Inserted newest first, so no order the store happens to keep can stand in for the thread's.
  await store.messages.insertMany([...docs].reverse());
  return docs.map((d) => d._id);
}

const ids = (page: Awaited<ReturnType<typeof listThread>>) => page?.docs.map((d) => d._id);

describe('a thread read a page at a time', () => {
  it('shows the newest messages, not the first 200: a conversation past 200 messages still shows what was just written', async () => {
    const conversationId = `wa:106540352242922:${uniqueId("thread")}`;
    const all = await customerWrites(conversationId, 250);
    const page = await listThread(store, conversationId);
    expect(ids(page)).toEqual(all.slice(50));
    expect(page?.hasOlder).toBe(true);
  });

  it('pages back with `before` (the first id of the page held), cutting through seconds without losing or repeating a message', async () => {
    const conversationId = `wa:106540352242922:${uniqueId("thread")}`;
    const all = await customerWrites(conversationId, 100);
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await listThread(store, conversationId, { limit: 7, ...(before ? { before } : {}) });
      pages += 1;
      seen.unshift(...ids(page)!);
      if (!page!.hasOlder) break;
      before = page!.docs[0]!._id;
    }
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(100 / 7));
  });

  it('answers a page that ends exactly at the first message with hasOlder false', async () => {
    const conversationId = `wa:106540352242922:${uniqueId("thread")}`;
    const all = await customerWrites(conversationId, 12);
    const page = await listThread(store, conversationId, { limit: 5, before: all[5] });
    expect(ids(page)).toEqual(all.slice(0, 5));
    expect(page?.hasOlder).toBe(false);
    expect((await listThread(store, conversationId, { limit: 5, before: all[0] }))?.docs).toEqual([]);
  });

  it('knows no `before` from elsewhere: an unknown id, or one of another conversation, is null', async () => {
    const [mine, theirs] = [`wa:106540352242922:${uniqueId("thread")}`, `wa:106540352242922:${uniqueId("thread")}`];
    await customerWrites(mine, 3);
    const [other] = await customerWrites(theirs, 1);
    expect(await listThread(store, mine, { before: 'wamid.nobody' })).toBeNull();
    expect(await listThread(store, mine, { before: other! })).toBeNull();
  });
});
