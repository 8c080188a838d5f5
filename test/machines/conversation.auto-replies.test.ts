import type { ConversationEffect, ConversationSettings } from '../../machines/conversation.types';
import { holderOf } from '../../machines/conversation.status';
import { ConversationHarness, HOUR, T0, sends } from '../support/conversation-harness';

const settings = (overrides: Partial<ConversationSettings> = {}): ConversationSettings => ({
  version: 1,
  idleCloseAfterMs: 30 * 60_000,
  autoReplies: { welcome: 'Welcome!', unsupportedType: 'Text and pictures only, please.', outOfHours: 'We are closed.' },
  chatbot: { enabled: false, timeoutMs: 5_000 },
  route: { queue: 'default' },
  agentCapacity: 3,
  ...overrides,
});

const texts = (effects: ConversationEffect[]) => sends(effects).map((e) => (e.params as { message: { text: string } }).message.text);

function harnessWith(applied: ConversationSettings): ConversationHarness {
  const harness = new ConversationHarness();
  harness.dispatch({ type: 'settings.applied', settings: applied, at: T0 });
  return harness;
}

let seq = 0;
function customer(harness: ConversationHarness, extra: { kind?: 'text' | 'unsupported'; businessOpen?: boolean; legacyReplyDue?: boolean; welcomeWaitsForOpening?: boolean } = {}) {
  seq += 1;
  return harness.dispatch({ type: 'customer.messageReceived', messageId: `wamid.a${seq}`, sentAt: harness.now, kind: extra.kind ?? 'text', at: harness.now, ...extra });
}

describe('automatic replies from the published configuration', () => {
  it('welcomes the customer on their first message only', () => {
    const harness = harnessWith(settings());
    expect(texts(customer(harness, { businessOpen: true }))).toEqual(['Welcome!']);
    expect(texts(customer(harness, { businessOpen: true }))).toEqual([]);
  });

  it('still welcomes a customer whose first message arrived after its window had passed, at their first message that can be answered', () => {
    const harness = harnessWith(settings());
    const late = harness.dispatch({ type: 'customer.messageReceived', messageId: 'wamid.late', sentAt: harness.now - 25 * HOUR, kind: 'text', at: harness.now, businessOpen: true });
    expect(texts(late)).toEqual([]); // the window is closed: nothing can be sent, so nothing was welcomed
    expect(texts(customer(harness, { businessOpen: true }))).toEqual(['Welcome!']);
    expect(texts(customer(harness, { businessOpen: true }))).toEqual([]);
  });

  it('answers an unsupported message type with the configured reply, each time', () => {
    const harness = harnessWith(settings({ autoReplies: { unsupportedType: 'Text and pictures only, please.' } }));
    expect(texts(customer(harness, { kind: 'unsupported' }))).toEqual(['Text and pictures only, please.']);
    expect(texts(customer(harness, { kind: 'unsupported' }))).toEqual(['Text and pictures only, please.']);
  });

  it('sends the out-of-hours reply once per closure, again after the business has opened and closed', () => {
    const harness = harnessWith(settings({ autoReplies: { outOfHours: 'We are closed.' } }));
    expect(texts(customer(harness, { businessOpen: false }))).toEqual(['We are closed.']);
    expect(texts(customer(harness, { businessOpen: false }))).toEqual([]);
    harness.advance(HOUR);
    expect(texts(customer(harness, { businessOpen: true }))).toEqual([]);
    expect(texts(customer(harness, { businessOpen: false }))).toEqual(['We are closed.']);
  });

  it('answers a legacy number only with the notice, when the store says it is due, and nothing else', () => {
    const harness = harnessWith(settings({ legacy: { autoReply: 'Our number changed to +1 202 555 0107.' } }));
    expect(texts(customer(harness, { kind: 'unsupported', businessOpen: false, legacyReplyDue: true }))).toEqual(['Our number changed to +1 202 555 0107.']);
    expect(texts(customer(harness, { legacyReplyDue: false }))).toEqual([]);
    expect(holderOf(harness.snapshot)).toBeNull();
  });

  it('gives replies ids derived from the customer message, counted as outbound but not as a first response', () => {
    const harness = harnessWith(settings());
    const [welcome] = sends(customer(harness, { businessOpen: true }));
    expect(welcome?.params).toMatchObject({ messageId: `wamid.a${seq}:welcome`, sender: { kind: 'system', id: 'auto-reply:welcome' } });
    expect(harness.snapshot.context).toMatchObject({ outboundCount: 1, firstResponseAt: null });
  });

  it('sends nothing before any settings are read (runs from before configuration existed)', () => {
    const harness = new ConversationHarness();
    expect(texts(customer(harness, { kind: 'unsupported', businessOpen: false }))).toEqual([]);
  });

  it('takes the idle period from the settings for the next expiry', () => {
    const harness = harnessWith(settings());
    customer(harness, { businessOpen: true });
    harness.advance(24 * HOUR + 30 * 60_000);
    expect(harness.state).toBe('closed');
  });

  describe("the README's example configuration (Supervisors), a customer writing before opening time", () => {
    const example = settings({
      autoReplies: {
        welcome: 'Hi! An agent will be with you shortly.',
        outOfHours: 'We are closed; we answer from 9:00.',
        unsupportedType: 'Sorry, we cannot open polls or GIFs here; please write to us instead.',
      },
    });

    it('gets the closed notice only, not a greeting promising an agent; the welcome comes with their first message in opening hours', () => {
      const harness = harnessWith(example);
      expect(texts(customer(harness, { businessOpen: false, welcomeWaitsForOpening: true }))).toEqual(['We are closed; we answer from 9:00.']);
      expect(texts(customer(harness, { businessOpen: false, welcomeWaitsForOpening: true }))).toEqual([]);
      harness.advance(HOUR);
      expect(texts(customer(harness, { businessOpen: true, welcomeWaitsForOpening: true }))).toEqual(['Hi! An agent will be with you shortly.']);
      expect(texts(customer(harness, { businessOpen: true, welcomeWaitsForOpening: true }))).toEqual([]);
    });

    it('holds the welcome while closed even when no out-of-hours notice is configured: a closed business promises no agent', () => {
      const harness = harnessWith(settings({ autoReplies: { welcome: 'Hi! An agent will be with you shortly.' } }));
      expect(texts(customer(harness, { businessOpen: false, welcomeWaitsForOpening: true }))).toEqual([]);
      expect(texts(customer(harness, { businessOpen: true, welcomeWaitsForOpening: true }))).toEqual(['Hi! An agent will be with you shortly.']);
    });

    it('answers as before in runs from before patched("welcome-waits-for-opening-hours") (the event carries no flag)', () => {
      const harness = harnessWith(example);
      expect(texts(customer(harness, { businessOpen: false }))).toEqual(['Hi! An agent will be with you shortly.', 'We are closed; we answer from 9:00.']);
    });
  });
});
