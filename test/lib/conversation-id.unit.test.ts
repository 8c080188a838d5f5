import { conversationIdParts, conversationWorkflowId } from '../../lib/conversation-id';

describe('the conversation id (wa:<phone number id>:<customer key>)', () => {
  it('reads back the number and the customer key it was built from, a user_id with its dots and a key with colons included', () => {
    for (const [number, key] of [['106540352242922', '15551234567'], ['106540352242922', 'US.13491208655302741918'], ['1', 'a:b']] as const) {
      expect(conversationIdParts(conversationWorkflowId(number, key))).toEqual({ businessNumberId: number, customerKey: key });
    }
  });

  it('is null for an identifier of another shape, so erasure takes it as a customer key, wa_id or username instead', () => {
    for (const text of ['15551234567', 'wa:', 'wa:abc:15551234567', 'wa:106540352242922:', 'WA:1:2', ` wa:1:2`, `wa:${'9'.repeat(65)}:1`]) {
      expect(conversationIdParts(text)).toBeNull();
    }
  });
});
