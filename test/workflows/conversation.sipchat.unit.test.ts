/**
 * Which lines go to the agent's SIP dialog in page mode, in what order and with which CSeq, as the machine moves
 * (the machine driven as the workflow drives it; no Temporal, no SIP).
 */
import { SipChat } from '../../workflows/conversation.sipchat';
import type { ConversationEvent, ConversationSettings, ReleaseAgentEffect } from '../../machines/conversation.types';
import { ConversationHarness, HOUR, T0 } from '../support/conversation-harness';

const settings: ConversationSettings = {
  version: 1,
  autoReplies: { welcome: 'Welcome!' },
  chatbot: { enabled: false, timeoutMs: 5_000 },
  route: { queue: 'sales' },
  agentCapacity: 2,
  handOff: { sip: true, retry: { initialMs: 10_000, maxMs: 60_000, maxAttempts: 3 }, fallback: {} },
};
const call = (n: number, chatMode?: 'message' | 'msrp') => ({ callId: `${n}.0.abc@whatsapp-connector`, localSeq: 1, ...(chatMode ? { chatMode } : {}) });

/** The harness with a SipChat observing every transition, as ConversationRuntime.dispatch does. */
function rig(mayChat: (mode: 'message' | 'msrp') => boolean = () => true) {
  const harness = new ConversationHarness();
  const chat = new SipChat(undefined, mayChat);
  const releases: ReleaseAgentEffect[] = [];
  const dispatch = (event: ConversationEvent) => {
    const before = harness.snapshot;
    const effects = harness.dispatch(event);
    chat.observe(event, before, harness.snapshot, effects);
    for (const effect of effects) if (effect.type === 'releaseAgent') releases.push(effect.params);
  };
  dispatch({ type: 'settings.applied', settings, at: T0 });
  /** The customer's n-th message, a second after the one before. */
  const customerWrites = (n: number) => {
    if (n > 1) harness.now += 1_000;
    dispatch({ type: 'customer.messageReceived', messageId: `wamid.${n}`, sentAt: harness.now, kind: 'text', at: harness.now });
  };
  /** Moves the clock, firing due timers through the observer too. */
  const advance = (ms: number) => {
    const until = harness.now + ms;
    for (;;) {
      const due = Object.entries(harness.timers).filter(([, at]) => at <= until).sort((a, b) => a[1] - b[1])[0];
      if (!due) break;
      harness.now = Math.max(harness.now, due[1]);
      delete harness.timers[due[0] as keyof typeof harness.timers];
      dispatch({ type: ({ window: 'window.expired', idle: 'idle.elapsed', routeRetry: 'routing.retryDue' } as const)[due[0] as 'window'], at: harness.now });
    }
    harness.now = until;
  };
  const lines = () => chat.state.queue.map((l) => [l.call.callId.split('.')[0], l.seq, l.origin ?? 'stored', l.messageId ?? l.notice, l.history ?? false]);
  return { harness, chat, dispatch, customerWrites, advance, releases, lines };
}

describe('page mode: the lines of the agent\'s session', () => {
  test('the conversation so far once answered, then each customer message, a notice when the window closes, and one when it closes', async () => {
    const { harness, chat, dispatch, customerWrites, advance, releases, lines } = rig();
    customerWrites(1);
    dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-7', call: call(1, 'message'), at: harness.now });
    customerWrites(2);
    advance(24 * HOUR + 1);
    advance(48 * HOUR); // idle after the window: the conversation closes
    expect(harness.snapshot.status).toBe('done');
    expect(lines()).toEqual([
      ['1', 2, 'stored', 'wamid.1', false], // in the thread's order, though the machine files the welcome first
      ['1', 3, 'stored', 'wamid.1:welcome', false],
      ['1', 4, 'customer', 'wamid.2', false],
      ['1', 5, 'system', 'window-closed', false],
      ['1', 6, 'system', 'closed', false],
    ]);
    // The BYE waits for the lines (sent: the queue empties), then takes the CSeq after the last.
    chat.state.queue.splice(0);
    expect(releases).toHaveLength(1);
    expect(await chat.beforeRelease(releases[0]!)).toMatchObject({ call: { localSeq: 6 } });
  });

  test('session mode (chatMode msrp) queues the same lines, behind its own patch', () => {
    const asked: string[] = [];
    const { harness, dispatch, customerWrites, lines } = rig((mode) => (asked.push(mode), true));
    customerWrites(1);
    dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-7', call: call(1, 'msrp'), at: harness.now });
    customerWrites(2);
    expect(asked).toEqual(['msrp']);
    expect(lines()).toEqual([
      ['1', 2, 'stored', 'wamid.1', false],
      ['1', 3, 'stored', 'wamid.1:welcome', false],
      ['1', 4, 'customer', 'wamid.2', false],
    ]);
    // A run whose code predates session mode (the patch says no) carries no chat into the call.
    const old = rig(() => false);
    old.customerWrites(1);
    old.dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-7', call: call(1, 'msrp'), at: old.harness.now });
    expect(old.chat.state.queue).toEqual([]);
  });

  test('without chatMode on the answered call (SIP_CHAT_MODE=none) nothing is queued', () => {
    const { harness, chat, dispatch, customerWrites } = rig();
    customerWrites(1);
    dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-7', call: call(1), at: harness.now });
    customerWrites(2);
    expect(chat.state.queue).toEqual([]);
    expect(chat.active).toBe(false);
  });

  test('a transfer: the old call keeps its lines and its BYE follows them; the new call starts with the last messages as history', async () => {
    const { harness, chat, dispatch, customerWrites, releases, lines } = rig();
    customerWrites(1);
    dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-7', call: call(1, 'message'), at: harness.now });
    customerWrites(2);
    dispatch({ type: 'agent.transferRequested', by: { kind: 'agent', id: 'agent-7' }, to: { queue: 'billing' }, at: harness.now });
    customerWrites(3); // while the contact centre looks for the next agent
    dispatch({ type: 'sip.answered', attempt: 2, agentId: 'agent-8', call: call(2, 'message'), at: harness.now });
    expect(lines()).toEqual([
      ['1', 2, 'stored', 'wamid.1', false],
      ['1', 3, 'stored', 'wamid.1:welcome', false],
      ['1', 4, 'customer', 'wamid.2', false],
      ['2', 2, 'stored', 'wamid.1', true],
      ['2', 3, 'stored', 'wamid.1:welcome', true],
      ['2', 4, 'stored', 'wamid.2', true],
      ['2', 5, 'stored', 'wamid.3', true],
    ]);
    chat.state.queue.splice(0, 3); // call 1's lines went
    expect(await chat.beforeRelease(releases[0]!)).toMatchObject({ call: { callId: call(1).callId, localSeq: 4 } });
  });

  test('their BYE drops the call\'s waiting lines but the one in flight; notices about the agent\'s MESSAGE come once per key', () => {
    const { harness, chat, dispatch, customerWrites, lines } = rig();
    customerWrites(1);
    dispatch({ type: 'sip.answered', attempt: 1, agentId: 'agent-7', call: call(1, 'message'), at: harness.now });
    const notice = { key: `${call(1).callId}:11`, callId: call(1).callId, code: 'template-required' as const, text: 'Send a template' };
    chat.notice(notice);
    chat.notice(notice); // the retransmitted MESSAGE
    chat.notice({ ...notice, key: 'other:1', callId: 'other' }); // a call that does not carry this chat
    expect(lines().map(([, seq, , what]) => [seq, what])).toEqual([[2, 'wamid.1'], [3, 'wamid.1:welcome'], [4, 'template-required']]);
    dispatch({ type: 'agent.released', callId: call(1).callId, at: harness.now });
    expect(lines().map(([, seq]) => seq)).toEqual([2]);
  });
});
