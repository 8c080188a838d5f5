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
    // Each writing with the wa_id it names: a writing the number check refused made both sides `false` before, so the
    // test passed on a refusal; now the check must take it, and the key must be those digits.
    const writings: [string, string][] = [
      ['+49 30/12345678', '493012345678'],
      ['+1 (555) 010-4477', '15550104477'],
      ['+1 555.010.4477', '15550104477'],
      ['0049 30 12345678', '493012345678'],
    ];
    for (const [written, waId] of writings) {
      expect({ written, checked: checkCustomerNumber(written) }).toEqual({ written, checked: { digits: waId } });
      expect({ written, key: normaliseCustomerKey(written) }).toEqual({ written, key: waId });
    }
  });
});
