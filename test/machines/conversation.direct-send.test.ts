import { ConversationHarness, HOUR, sends, text } from '../support/conversation-harness';

/**
 * Direct Send (https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/send-utility-and-authentication-messages/):
 * content marked `utility` goes out as a template Meta makes for it, so the window does not hold it back. Whether the
 * number may send it at all is the conversation service's check (test/e2e/sending-channels.test.ts).
 */
const utility = (body: string) => ({ ...text(body), category: 'utility' as const });

describe('Direct Send in the conversation machine', () => {
  it('sends utility text after the window closed, and stays where only templates and Direct Send may go', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(25 * HOUR);
    expect(c.state).toBe('expiredNeedsTemplate');

    expect(c.send(text('plain'))).toEqual({ refused: 'template_required', effects: [] });
    expect(sends(c.send(utility('Order 4521 shipped')).effects)).toHaveLength(1);
    expect(c.state).toBe('expiredNeedsTemplate');
  });

  it('reaches a person who never wrote with utility reply buttons', () => {
    const c = new ConversationHarness();
    const buttons = { type: 'buttons' as const, body: 'Reschedule?', buttons: [{ id: 'y', title: 'Yes' }], category: 'utility' as const };
    expect(sends(c.send(buttons).effects)).toHaveLength(1);
    expect(c.state).toBe('expiredNeedsTemplate');
  });
});
