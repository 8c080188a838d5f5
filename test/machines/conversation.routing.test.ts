import { retryDelayMs } from '../../machines/conversation.routing';
import { holderOf, refusalFor, stateNameOf, toConversationStatus } from '../../machines/conversation.status';
import type { ConversationEffect, ConversationSettings, RouteToAgentEffect } from '../../machines/conversation.types';
import { ConversationHarness, T0, sends } from '../support/conversation-harness';

const SECOND = 1_000;

const settings = (overrides: Partial<ConversationSettings> = {}): ConversationSettings => ({
  version: 1,
  autoReplies: { queue: 'All our agents are busy; you are next in line.' },
  chatbot: { enabled: false, timeoutMs: 5_000 },
  route: { queue: 'sales', skill: 'returns' },
  agentCapacity: 2,
  handOff: { sip: true, retry: { initialMs: 10 * SECOND, maxMs: 60 * SECOND, maxAttempts: 3 }, fallback: {} },
  ...overrides,
});

const botOn = { enabled: true, endpoint: 'http://127.0.0.1:9/bot', timeoutMs: 2_000 };
const call = (n: number) => ({ callId: `${n}.0.abc@whatsapp-connector`, localTag: 't' });

const of = <T extends ConversationEffect['type']>(effects: ConversationEffect[], type: T) =>
  effects.filter((e): e is Extract<ConversationEffect, { type: T }> => e.type === type);
const invites = (effects: ConversationEffect[]): RouteToAgentEffect[] => of(effects, 'routeToAgent').map((e) => e.params);
const texts = (effects: ConversationEffect[]) => sends(effects).map((e) => (e.params.message as { text: string }).text);

function harnessWith(applied: ConversationSettings): ConversationHarness {
  const harness = new ConversationHarness();
  harness.dispatch({ type: 'settings.applied', settings: applied, at: T0 });
  return harness;
}

/** A conversation the customer opened, queued at the contact centre (attempt 1 under way). */
function queued(applied = settings()) {
  const harness = harnessWith(applied);
  const effects = harness.customerWrites();
  return { harness, effects };
}

function assigned(agentId = 'agent-7') {
  const { harness } = queued();
  harness.dispatch({ type: 'sip.answered', attempt: 1, agentId, call: call(1), at: harness.now });
  return harness;
}

describe('routing a conversation to a person', () => {
  it("asks the contact centre for an agent at the customer's first message, with the configured queue and skill", () => {
    const { harness, effects } = queued();
    expect(invites(effects)).toEqual([expect.objectContaining({ attempt: 1, queue: 'sales', skill: 'returns', agentCapacity: 2, conversationId: harness.snapshot.context.conversationId })]);
    expect(toConversationStatus(harness.snapshot, harness.now).routing).toEqual({ phase: 'queued', queue: 'sales', attempt: 1 });
    expect(invites(harness.customerWrites())).toEqual([]); // already queued: a second message asks nothing new
  });

  it('routes nothing without a SIP connector, or on a legacy number (integrators answer, as before)', () => {
    expect(invites(queued(settings({ handOff: { sip: false, retry: { initialMs: 1, maxMs: 1, maxAttempts: 1 }, fallback: {} } })).effects)).toEqual([]);
    expect(invites(queued(settings({ handOff: undefined })).effects)).toEqual([]);
    expect(invites(queued(settings({ legacy: { autoReply: 'We moved.' } })).effects)).toEqual([]);
  });

  it('hands the conversation to the agent who answered; hold time runs from the first message to the answer', () => {
    const { harness } = queued();
    harness.advance(90 * SECOND);
    const effects = harness.dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-7', call: call(1), at: harness.now });
    expect(stateNameOf(harness.snapshot)).toBe('handedToAgent');
    expect(of(effects, 'cancelTimer')).toEqual([{ type: 'cancelTimer', params: { timerId: 'routeRetry' } }]);
    const status = toConversationStatus(harness.snapshot, harness.now);
    expect(status).toMatchObject({ agentId: 'agent-7', routing: { phase: 'assigned', attempt: 1 }, holdTimeMs: 90 * SECOND });
  });

  it('on busy: the queue message once, retries with doubling waits, and after the last attempt the fallback reply', () => {
    const harness = queued(settings({ handOff: { sip: true, retry: { initialMs: 10 * SECOND, maxMs: 60 * SECOND, maxAttempts: 3 }, fallback: { autoReply: 'Nobody is free; we will write back.' } } })).harness;
    const first = harness.dispatch({ type: 'sip.busy', attempt: 1, status: 486, reason: 'Busy Here', at: harness.now });
    expect(texts(first)).toEqual(['All our agents are busy; you are next in line.']);
    expect(of(first, 'startTimer')).toEqual([{ type: 'startTimer', params: { timerId: 'routeRetry', at: harness.now + 10 * SECOND } }]);

    expect(invites(harness.advance(10 * SECOND))).toEqual([expect.objectContaining({ attempt: 2, queue: 'sales' })]); // the retry timer fires
    const second = harness.dispatch({ type: 'sip.busy', attempt: 2, status: 480, reason: 'Temporarily Unavailable', at: harness.now });
    expect(texts(second)).toEqual([]); // once
    expect(of(second, 'startTimer')[0]?.params.at).toBe(harness.now + 20 * SECOND);

    expect(invites(harness.advance(20 * SECOND))).toEqual([expect.objectContaining({ attempt: 3 })]);
    const third = harness.dispatch({ type: 'sip.busy', attempt: 3, status: 408, reason: 'no answer', at: harness.now });
    expect(texts(third)).toEqual(['Nobody is free; we will write back.']);
    expect(of(third, 'startTimer')).toEqual([]);
    expect(toConversationStatus(harness.snapshot, harness.now).routing.phase).toBe('none');
    // The customer writes again: a new wait begins, with its own queue message.
    expect(invites(harness.customerWrites())).toEqual([expect.objectContaining({ attempt: 4 })]);
  });

  it('keeps the queue message for the first busy answer that can carry it when the customer\'s first message came too late to answer', () => {
    const harness = harnessWith(settings());
    // Delivered 25 h late: the window is closed, yet the customer is routed to a person.
    expect(invites(harness.customerWrites(harness.now - 25 * 60 * 60 * SECOND))).toEqual([expect.objectContaining({ attempt: 1 })]);
    expect(texts(harness.dispatch({ type: 'sip.busy', attempt: 1, status: 486, reason: 'Busy Here', at: harness.now }))).toEqual([]); // nothing may be sent
    harness.customerWrites(); // a fresh message opens the window
    expect(invites(harness.advance(10 * SECOND))).toEqual([expect.objectContaining({ attempt: 2 })]);
    const busy = harness.dispatch({ type: 'sip.busy', attempt: 2, status: 486, reason: 'Busy Here', at: harness.now });
    expect(texts(busy)).toEqual(['All our agents are busy; you are next in line.']);
  });

  it('honours Retry-After up to the longest wait', () => {
    const retry = { initialMs: 10 * SECOND, maxMs: 60 * SECOND, maxAttempts: 5 };
    expect(retryDelayMs(retry, 1)).toBe(10 * SECOND);
    expect(retryDelayMs(retry, 4)).toBe(60 * SECOND);
    expect(retryDelayMs(retry, 1, 30 * SECOND)).toBe(30 * SECOND);
    expect(retryDelayMs(retry, 1, 600 * SECOND)).toBe(60 * SECOND);
  });

  it('on a final refusal tries the fallback queue once, then gives the fallback reply', () => {
    const harness = queued(settings({ handOff: { sip: true, retry: { initialMs: SECOND, maxMs: SECOND, maxAttempts: 3 }, fallback: { queue: 'overflow', autoReply: 'Sorry, nobody can take this now.' } } })).harness;
    const refused = harness.dispatch({ type: 'sip.failed', attempt: 1, status: 404, reason: 'Not Found', at: harness.now });
    expect(invites(refused)).toEqual([expect.objectContaining({ attempt: 2, queue: 'overflow' })]);
    expect(invites(refused)[0]).not.toHaveProperty('skill');
    const again = harness.dispatch({ type: 'sip.failed', attempt: 2, status: 403, reason: 'Forbidden', at: harness.now });
    expect(invites(again)).toEqual([]);
    expect(texts(again)).toEqual(['Sorry, nobody can take this now.']);
  });

  it('hangs up an answer to an attempt it no longer waits for, and ignores stale busy answers', () => {
    const harness = assigned();
    const stray = harness.dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-9', call: call(9), at: harness.now });
    expect(of(stray, 'releaseAgent')).toEqual([{ type: 'releaseAgent', params: expect.objectContaining({ agentId: 'agent-9', call: call(9), hangUp: true }) }]);
    expect(holderOf(harness.snapshot)?.agentId ?? null).toBe('agent-7');
    expect(harness.dispatch({ type: 'sip.busy', attempt: 1, status: 486, reason: 'late', at: harness.now })).toEqual([]);
  });

  it("a BYE from the contact centre ends the agent's assignment (no BYE back); one naming another call changes nothing", () => {
    const harness = assigned();
    expect(harness.dispatch({ type: 'agent.released', callId: 'other', at: harness.now })).toEqual([]);
    const released = harness.dispatch({ type: 'agent.released', callId: call(1).callId, at: harness.now });
    expect(of(released, 'releaseAgent')).toEqual([{ type: 'releaseAgent', params: expect.objectContaining({ agentId: 'agent-7', hangUp: false }) }]);
    expect(stateNameOf(harness.snapshot)).toBe('openSession');
    expect(holderOf(harness.snapshot)?.agentId ?? null).toBeNull();
  });

  it('closing a conversation an agent holds hangs up and frees the agent', () => {
    const harness = assigned();
    const closed = harness.dispatch({ type: 'conversation.closeRequested', by: { kind: 'agent', id: 'agent-7' }, at: harness.now });
    expect(of(closed, 'releaseAgent')).toEqual([{ type: 'releaseAgent', params: expect.objectContaining({ agentId: 'agent-7', call: call(1), hangUp: true }) }]);
    expect(stateNameOf(harness.snapshot)).toBe('closed');
  });

  it('a transfer hangs up, then asks for the named agent or queue', () => {
    const harness = assigned();
    const moved = harness.dispatch({ type: 'agent.transferRequested', by: { kind: 'agent', id: 'agent-7' }, to: { agentId: 'agent-8' }, at: harness.now });
    expect(moved.map((e) => e.type)).toEqual(['releaseAgent', 'routeToAgent']);
    expect(invites(moved)[0]).toMatchObject({ attempt: 2, targetAgentId: 'agent-8', queue: 'sales' });
    harness.dispatch({ type: 'sip.answered', attempt: 2, agentId: 'agent-8', call: call(2), at: harness.now });
    expect(holderOf(harness.snapshot)?.agentId ?? null).toBe('agent-8');
    expect(invites(harness.dispatch({ type: 'agent.transferRequested', by: { kind: 'agent', id: 'agent-8' }, to: { queue: 'billing' }, at: harness.now }))[0]).toMatchObject({ queue: 'billing', attempt: 3 });
  });

  it('refuses a reply from an agent the conversation is not assigned to', () => {
    const harness = assigned();
    const text = { type: 'text' as const, text: 'hi' };
    expect(refusalFor(harness.snapshot, text, harness.now, { kind: 'agent', id: 'agent-8' })).toBe('not_assigned');
    expect(refusalFor(harness.snapshot, text, harness.now, { kind: 'agent', id: 'agent-7' })).toBeNull();
    expect(refusalFor(harness.snapshot, text, harness.now, { kind: 'integrator' })).toBeNull();
    expect(refusalFor(queued().harness.snapshot, text, harness.now, { kind: 'agent', id: 'agent-7' })).toBe('not_assigned');
  });
});

describe('the chatbot stage', () => {
  it('asks the bot about every customer message, sends its replies as the bot, and routes when it hands off', () => {
    const { harness, effects } = queued(settings({ chatbot: botOn }));
    expect(of(effects, 'askBot')).toEqual([{ type: 'askBot', params: expect.objectContaining({ messageId: 'wamid.1', endpoint: botOn.endpoint, timeoutMs: 2_000 }) }]);
    expect(invites(effects)).toEqual([]);

    const replied = harness.dispatch({ type: 'bot.replied', messageId: 'wamid.1', replies: ['Hi! Order number?', 'Or type "agent".'], at: harness.now });
    expect(sends(replied).map((e) => [e.params.messageId, e.params.sender])).toEqual([
      ['wamid.1:bot:0', { kind: 'bot' }],
      ['wamid.1:bot:1', { kind: 'bot' }],
    ]);
    expect(toConversationStatus(harness.snapshot, harness.now).firstResponseMs).toBe(0);

    expect(of(harness.customerWrites(), 'askBot')).toHaveLength(1);
    const handOff = harness.dispatch({ type: 'bot.handOffRequested', messageId: 'wamid.2', at: harness.now });
    expect(invites(handOff)).toEqual([expect.objectContaining({ attempt: 1, queue: 'sales' })]);
    expect(of(harness.customerWrites(), 'askBot')).toEqual([]); // a person is on the way: the bot stays out
  });

  it('a failing bot hands off; without a connector the customer gets the fallback reply', () => {
    const failing = queued(settings({ chatbot: botOn })).harness;
    expect(invites(failing.dispatch({ type: 'bot.failed', messageId: 'wamid.1', reason: 'no answer within 2000 ms', at: failing.now }))).toHaveLength(1);

    const noSip = queued(settings({ chatbot: botOn, handOff: { sip: false, retry: { initialMs: 1, maxMs: 1, maxAttempts: 1 }, fallback: { autoReply: 'A colleague will write back soon.' } } })).harness;
    expect(texts(noSip.dispatch({ type: 'bot.failed', messageId: 'wamid.1', reason: 'HTTP 500', at: noSip.now }))).toEqual(['A colleague will write back soon.']);
  });
});
