/**
 * A WhatsApp user's call opens or refreshes the customer service window like a message does: "the customer service
 * window now also starts or refreshes for calls: when a WhatsApp user calls you, regardless of if you accept the
 * call or not" (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/), for 24
 * hours ("When a WhatsApp user messages you or calls you, a 24-hour timer … starts",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows).
 * The call itself goes to an agent over SIP (the call workflow): the conversation routes nothing, answers nothing,
 * and shows no customer message for it.
 */
import type { ConversationEffect, ConversationSettings } from '../../machines/conversation.types';
import { toConversationStatus } from '../../machines/conversation.status';
import { ConversationHarness, HOUR, T0, sends, text } from '../support/conversation-harness';

const DAY = 24 * HOUR;

const routingOn: ConversationSettings = {
  version: 1,
  autoReplies: { welcome: 'Welcome!', queue: 'You are next in line.' },
  chatbot: { enabled: false, timeoutMs: 5_000 },
  route: { queue: 'sales' },
  agentCapacity: 2,
  handOff: { sip: true, retry: { initialMs: 1_000, maxMs: 1_000, maxAttempts: 3 }, fallback: {} },
};

const called = (c: ConversationHarness, calledAt = c.now, callId = 'wacid.1'): ConversationEffect[] =>
  c.dispatch({ type: 'customer.called', callId, calledAt, at: c.now });

describe('customer.called: a WhatsApp user calls the business', () => {
  it('opens the window for a customer who never wrote: 24 h from the call, a free-form reply may go', () => {
    const c = new ConversationHarness();
    const effects = called(c, T0 - 5_000); // the call's timestamp, 5 s before the webhook reached us
    expect(c.state).toBe('openSession');
    expect(c.snapshot.context.windowClosesAt).toBe(T0 - 5_000 + DAY);
    expect(effects).toEqual([{ type: 'startTimer', params: { timerId: 'window', at: T0 - 5_000 + DAY } }]);
    expect(c.send(text('Sorry we missed your call')).refused).toBeNull();
    expect(toConversationStatus(c.snapshot, c.now)).toMatchObject({ lastCalledAt: new Date(T0 - 5_000).toISOString(), lastInboundAt: null, inboundCount: 0 });
  });

  it('routes nothing, sends no automatic reply and records no customer message', () => {
    const c = new ConversationHarness();
    c.dispatch({ type: 'settings.applied', settings: routingOn, at: T0 });
    const effects = called(c);
    expect(effects.filter((e) => e.type !== 'startTimer')).toEqual([]);
    expect(sends(effects)).toEqual([]);
    expect(c.snapshot.value).toMatchObject({ active: { routing: 'idle' } });
    expect(c.snapshot.context).toMatchObject({ inboundCount: 0, lastInboundAt: null, firstInboundAt: null, recentMessages: [] });
    // The customer's first message after the call is still their first: welcomed, then routed as a chat.
    const first = c.customerWrites();
    expect(sends(first).map((e) => (e.params.message as { text: string }).text)).toContain('Welcome!');
    expect(first.some((e) => e.type === 'routeToAgent')).toBe(true);
  });

  it('refreshes an open window, never moving it back for an earlier call delivered late', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(5 * HOUR);
    called(c);
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + 5 * HOUR + DAY);
    expect(c.timers.window).toBe(T0 + 5 * HOUR + DAY);
    c.advance(HOUR);
    called(c, T0 + 2 * HOUR, 'wacid.late');
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + 5 * HOUR + DAY);
    expect(c.snapshot.context.inboundCount).toBe(1);
  });

  it('reopens an expired window, and a call too old to open one leaves it expired', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(30 * HOUR);
    expect(c.state).toBe('expiredNeedsTemplate');
    expect(c.send(text('hello?')).refused).toBe('template_required');

    called(c, c.now - 25 * HOUR, 'wacid.old');
    expect(c.state).toBe('expiredNeedsTemplate');

    called(c);
    expect(c.state).toBe('openSession');
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + 30 * HOUR + DAY);
    expect(c.timers).toEqual({ window: T0 + 30 * HOUR + DAY });
    expect(c.send(text('Thanks for calling')).refused).toBeNull();
  });

  it('a call delivered too late to open a window leaves a new conversation expired, its idle timer running', () => {
    const c = new ConversationHarness();
    called(c, T0 - 25 * HOUR);
    expect(c.state).toBe('expiredNeedsTemplate');
    expect(c.snapshot.context.windowClosesAt).toBeNull();
    expect(c.timers).toEqual({ idle: T0 + 48 * HOUR });
  });

  it('a 131047 for a reply sent before the customer called does not close the window the call reopened', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    const sentAt = c.now + HOUR;
    c.advance(2 * HOUR);
    called(c);
    c.dispatch({ type: 'broker.rejected', messageId: 'msg_x', code: 131047, title: 'Re-engagement message', sentAt, at: c.now });
    expect(c.state).toBe('openSession');
    expect(toConversationStatus(c.snapshot, c.now).windowClosesAt).toBe(new Date(T0 + 2 * HOUR + DAY).toISOString());
  });

  it('a call dated in the future shows and counts as received now: lastCalledAt never lies ahead, like the window', () => {
    const c = new ConversationHarness();
    called(c, T0 + 30 * DAY, 'wacid.future'); // a `connect` whose timestamp is 30 days ahead of its receipt
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + DAY);
    expect(toConversationStatus(c.snapshot, c.now).lastCalledAt).toBe(new Date(T0).toISOString());
    // The same for a call too late to move the window: remembered at most at its receipt.
    c.advance(HOUR);
    called(c, c.now + 30 * DAY, 'wacid.future-2');
    expect(toConversationStatus(c.snapshot, c.now).lastCalledAt).toBe(new Date(T0 + HOUR).toISOString());
  });
});
