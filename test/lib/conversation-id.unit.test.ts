import { conversationIdParts, conversationWorkflowId, normaliseCustomerKey } from '../../lib/conversation-id';
import { checkCustomerNumber } from '../../lib/phone-numbers';

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

  it('reads a customer key written as a number in every writing the number check takes, a slash included (+49 30/12345678)', () => {
    for (const written of ['+49 30/12345678', '+1 (555) 010-4477', '+1 555.010.4477', '0049 30 12345678']) {
      const checked = checkCustomerNumber(written);
      expect('digits' in checked && normaliseCustomerKey(written)).toBe('digits' in checked && checked.digits);
    }
  });
});
