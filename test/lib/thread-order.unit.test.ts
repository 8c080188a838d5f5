import { receiptSeq, storedSeq, threadOrder, type ThreadOrdered } from '../../lib/thread-order';

const at = Date.UTC(2026, 10, 30, 16, 0, 5);
const msg = (_id: string, sortAt: number, fields: Partial<ThreadOrdered> = {}): ThreadOrdered => ({ _id, sortAt, createdAt: new Date(sortAt), ...fields });
const ids = (messages: ThreadOrdered[]) => [...messages].sort(threadOrder).map((m) => m._id);

describe('thread order', () => {
  it('orders messages of one second by receipt, a reply accepted within it included', () => {
    const reply = msg('msg_reply', at + 300, { seq: (at + 310) * 1000 });
    const burst = ['wamid.d', 'wamid.c', 'wamid.b', 'wamid.a'].map((id, i) => msg(id, at, { seq: receiptSeq(new Date(at + 500 + i * 40), 0) }));
    expect(ids([...burst].reverse().concat(reply))).toEqual(['msg_reply', 'wamid.d', 'wamid.c', 'wamid.b', 'wamid.a']);
  });

  it('keeps the second written first: a webhook that arrives late does not move its message after later seconds', () => {
    const late = msg('wamid.late', at - 1000, { seq: receiptSeq(new Date(at + 9000), 0) });
    expect(ids([msg('wamid.x', at, { seq: receiptSeq(new Date(at + 100), 0) }), late])).toEqual(['wamid.late', 'wamid.x']);
  });

  it('orders the messages of one webhook body by their position in it', () => {
    const received = new Date(at + 200);
    expect(ids([msg('wamid.a', at, { seq: receiptSeq(received, 1) }), msg('wamid.b', at, { seq: receiptSeq(received, 0) })])).toEqual(['wamid.b', 'wamid.a']);
  });

  it('orders messages stored before `seq` existed by createdAt (received, or accepted), beside newer ones', () => {
    const legacyReply = msg('msg_old', at + 300, { createdAt: new Date(at + 300) });
    const legacyInbound = msg('wamid.a', at, { createdAt: new Date(at + 800) });
    const current = msg('wamid.0', at, { seq: receiptSeq(new Date(at + 900), 0) });
    expect(ids([current, legacyInbound, legacyReply])).toEqual(['msg_old', 'wamid.a', 'wamid.0']);
  });

  it('gives outbound messages stored within one millisecond increasing seqs', () => {
    const first = storedSeq(at);
    expect([storedSeq(at), storedSeq(at)]).toEqual([first + 1, first + 2]);
    expect(storedSeq(at + 5)).toBe((at + 5) * 1000);
  });
});
