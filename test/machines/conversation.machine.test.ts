import { persistConversation, restoreConversation } from '../../machines/conversation.snapshot';
import { conversationEventTypes, conversationMachine, conversationStates, routingStates, sessionStates } from '../../machines/conversation.machine';
import { refusalFor, stateNameOf, toConversationStatus } from '../../machines/conversation.status';
import { ConversationHarness, HOUR, T0, sends, template, text } from '../support/conversation-harness';

const DAY = 24 * HOUR;

describe('the conversation machine (WhatsApp rules)', () => {
  it('opens a session when the customer writes, closing 24 hours after the message was written', () => {
    const c = new ConversationHarness();
    const effects = c.customerWrites(T0 - 10 * 60_000); // written 10 minutes before the webhook reached us

    expect(c.state).toBe('openSession');
    expect(c.snapshot.context.windowClosesAt).toBe(T0 - 10 * 60_000 + DAY);
    expect(effects).toEqual([{ type: 'startTimer', params: { timerId: 'window', at: T0 - 10 * 60_000 + DAY } }]);
  });

  it('moves the deadline with every newer customer message, never back for one delivered late', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(5 * HOUR);
    c.customerWrites();
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + 5 * HOUR + DAY);

    c.advance(HOUR);
    c.customerWrites(T0 + 2 * HOUR); // a webhook retried from earlier
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + 5 * HOUR + DAY);
    expect(c.snapshot.context.inboundCount).toBe(3);
  });

  it('shows when the customer last wrote even when that message came too late to open the window', () => {
    const c = new ConversationHarness();
    c.customerWrites(T0 - 25 * HOUR); // delivered a day late: the window stays shut
    expect(c.state).toBe('expiredNeedsTemplate');
    expect(c.snapshot.context.windowClosesAt).toBeNull();
    expect(toConversationStatus(c.snapshot, T0).lastInboundAt).toBe(new Date(T0 - 25 * HOUR).toISOString());
  });

  it('accepts a session reply at 23 h 59 min and refuses one at 24 h 00 min 01 s with template_required', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(DAY - 60_000);
    expect(sends(c.send(text('still here')).effects)).toHaveLength(1);

    c.advance(61_000);
    expect(c.state).toBe('expiredNeedsTemplate');
    expect(c.send(text('too late'))).toEqual({ refused: 'template_required', effects: [] });
    expect(sends(c.send(template()).effects)).toHaveLength(1);
  });

  it('reopens the session when the customer writes again at hour 30', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(30 * HOUR);
    expect(c.state).toBe('expiredNeedsTemplate');

    c.customerWrites();
    expect(c.state).toBe('openSession');
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + 30 * HOUR + DAY);
    expect(c.timers).toEqual({ window: T0 + 30 * HOUR + DAY });
  });

  it('lets WhatsApp close the window early: a 131047 refusal beats the timer', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(2 * HOUR);
    c.dispatch({ type: 'broker.rejected', messageId: 'msg_1', code: 131047, title: 'Re-engagement message', at: c.now });

    expect(c.state).toBe('expiredNeedsTemplate');
    expect(c.timers.window).toBeUndefined();
    expect(c.send(text()).refused).toBe('template_required');
  });

  it('keeps the window open when a 131047 for a send made before the customer wrote again arrives late', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(2 * HOUR);
    const earlier = sends(c.send(text('Are you still there?')).effects)[0]!.params;
    c.advance(60_000);
    c.customerWrites();
    c.advance(60_000);
    c.dispatch({ type: 'broker.rejected', messageId: earlier.messageId, code: 131047, title: 'Re-engagement message', sentAt: earlier.acceptedAt, at: c.now });

    expect(c.state).toBe('openSession');
    expect(c.send(text()).refused).toBeNull();
  });

  it('a message dated in the future shows and counts as received now: lastInboundAt never lies ahead, and a 131047 for a later send still closes the window', () => {
    const c = new ConversationHarness();
    c.customerWrites(T0 + 30 * DAY); // a payload timestamp 30 days ahead of its receipt (a clock running fast)
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + DAY);
    expect(toConversationStatus(c.snapshot, T0).lastInboundAt).toBe(new Date(T0).toISOString());
    // The conversation's latest messages (GET /v1/conversations/{id} lastMessages) show it at its receipt too.
    expect(toConversationStatus(c.snapshot, T0).lastMessages.at(-1)).toMatchObject({ direction: 'inbound', at: new Date(T0).toISOString() });

    c.advance(HOUR);
    const later = sends(c.send(text('Hello?')).effects)[0]!.params;
    // Meta refuses it for the window (131047): nothing the customer did came after the send, so the window closes.
    c.dispatch({ type: 'broker.rejected', messageId: later.messageId, code: 131047, title: 'Re-engagement message', sentAt: later.acceptedAt, at: c.now });
    expect(c.state).toBe('expiredNeedsTemplate');
  });

  it('ignores other broker refusals: the window stays open', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.dispatch({ type: 'broker.rejected', messageId: 'msg_1', code: 131026, title: 'Message undeliverable', at: c.now });
    expect(c.state).toBe('openSession');
  });

  it('starts a business-initiated conversation with a template only, and opens it when the customer replies', () => {
    const c = new ConversationHarness();
    expect(c.send(text('hi')).refused).toBe('template_required');

    const { effects } = c.send(template('appointment_reminder'));
    expect(sends(effects)[0]?.params).toMatchObject({ message: { type: 'template', name: 'appointment_reminder' } });
    expect(c.state).toBe('expiredNeedsTemplate');
    expect(c.snapshot.context.windowClosesAt).toBeNull();

    c.advance(3 * HOUR);
    c.customerWrites();
    expect(c.state).toBe('openSession');
    expect(c.send(text('thanks for answering')).refused).toBeNull();
  });

  it('keeps a message delivered after its own window passed, without opening a session', () => {
    const c = new ConversationHarness();
    c.customerWrites(T0 - 25 * HOUR);
    expect(c.state).toBe('expiredNeedsTemplate');
    expect(c.snapshot.context.inboundCount).toBe(1);
    expect(c.send(text()).refused).toBe('template_required');
  });

  it('never lets a customer clock running fast stretch the window past 24 hours from receipt', () => {
    const c = new ConversationHarness();
    c.customerWrites(T0 + 2 * HOUR);
    expect(c.snapshot.context.windowClosesAt).toBe(T0 + DAY);
  });

  it('closes after the idle period once the window has closed, refusing every send afterwards', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(DAY + 48 * HOUR);
    expect(c.state).toBe('closed');
    expect(c.snapshot.status).toBe('done');
    expect(c.snapshot.context.closedReason).toBe('idle');
    expect(c.send(template()).refused).toBe('conversation_closed');
  });

  it('remembers the last ten messages for the status query, oldest first', () => {
    const c = new ConversationHarness();
    for (let i = 0; i < 7; i += 1) {
      c.customerWrites();
      c.send(text(`reply ${i}`));
    }
    const recent = c.snapshot.context.recentMessages ?? [];
    expect(recent).toHaveLength(10);
    expect(recent.at(-1)).toMatchObject({ direction: 'outbound', kind: 'text' });
    expect(recent.at(-2)).toMatchObject({ direction: 'inbound', kind: 'text' });
  });

  it('records first response time only for answers to a customer', () => {
    const c = new ConversationHarness();
    c.send(template());
    expect(c.snapshot.context.firstResponseAt).toBeNull();
    c.advance(HOUR);
    c.customerWrites();
    c.advance(HOUR);
    c.send(text());
    expect(c.snapshot.context.firstResponseAt).toBe(T0 + 2 * HOUR);
  });

  it('survives a JSON round trip of its persisted snapshot (continue-as-new)', () => {
    const c = new ConversationHarness();
    c.customerWrites();
    c.advance(3 * HOUR);
    const persisted = JSON.parse(JSON.stringify(persistConversation(c.snapshot)));
    const restored = restoreConversation(persisted);

    expect(stateNameOf(restored)).toBe('openSession');
    expect(restored.context).toEqual(c.snapshot.context);
    expect(refusalFor(restored, text(), c.now)).toBeNull();
    expect(toConversationStatus(restored, c.now)).toMatchObject({ state: 'openSession', windowOpen: true, windowClosesAt: new Date(T0 + DAY).toISOString() });
  });
});

describe('customer images', () => {
  it('asks for every inbound image to be fetched, whatever the state, and nothing for text', () => {
    const c = new ConversationHarness();
    const image = (sentAt: number) => c.dispatch({ type: 'customer.messageReceived', messageId: `wamid.img${sentAt}`, sentAt, kind: 'image', brokerMediaId: `media-${sentAt}`, at: c.now });
    expect(image(T0).filter((e) => e.type === 'fetchMedia')).toEqual([
      { type: 'fetchMedia', params: { messageId: `wamid.img${T0}`, businessNumberId: '106540352242922', brokerMediaId: `media-${T0}` } },
    ]);
    c.advance(30 * HOUR);
    expect(image(T0 - 40 * HOUR).map((e) => e.type)).toEqual(['fetchMedia']); // too late to open the window, still kept
    expect(c.customerWrites().some((e) => e.type === 'fetchMedia')).toBe(false);
  });
});

describe('the exported description of the machine', () => {
  it('names exactly the states and events the machine definition has', () => {
    const leafStates = (node: { key: string; states: Record<string, unknown> }): string[] => {
      const children = Object.values(node.states) as { key: string; states: Record<string, unknown> }[];
      return children.length === 0 ? [node.key] : children.flatMap(leafStates);
    };
    expect(new Set(leafStates(conversationMachine.root))).toEqual(new Set([...sessionStates, ...routingStates, 'closed']));
    // The product's names: the session's states, an open session an agent holds, and closed.
    expect(new Set(conversationStates)).toEqual(new Set([...sessionStates, 'handedToAgent', 'closed']));
    expect(new Set(conversationMachine.events)).toEqual(new Set(conversationEventTypes));
  });
});
