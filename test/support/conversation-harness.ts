import { initialTransition, transition } from 'xstate';
import { toEffects } from '../../machines/conversation.effects';
import { conversationMachine } from '../../machines/conversation.machine';
import { refusalFor, stateNameOf, type ConversationSnapshot, type SendRefusal } from '../../machines/conversation.status';
import type {
  ConversationEffect,
  ConversationEvent,
  ConversationInput,
  ConversationSettings,
  OutboundContent,
  TimerId,
} from '../../machines/conversation.types';
import { timerEventFor } from '../../machines/conversation.rules';

export const HOUR = 60 * 60 * 1000;
export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

export const conversationInput = (overrides: Partial<ConversationInput> = {}): ConversationInput => ({
  conversationId: 'wa:106540352242922:15551234567',
  businessNumberId: '106540352242922',
  customer: { key: '15551234567', waId: '15551234567' },
  idleCloseAfterMs: 48 * HOUR,
  ...overrides,
});

export const text = (body = 'hello'): OutboundContent => ({ type: 'text', text: body });
export const template = (name = 'order_update'): OutboundContent => ({ type: 'template', name, language: 'en_US' });


/**
 * The machine driven the way the workflow drives it: a clock, a timer table fed by startTimer/cancelTimer, and
 * the same refusal check the Update validator runs before a send is dispatched.
 */
export class ConversationHarness {
  snapshot: ConversationSnapshot;
  timers: Partial<Record<TimerId, number>> = {};
  lastEffects: ConversationEffect[] = [];
  private seq = 0;

  constructor(
    public now = T0,
    input = conversationInput(),
  ) {
    const [snapshot, actions] = initialTransition(conversationMachine, input);
    this.snapshot = snapshot;
    this.apply(toEffects(actions));
  }

  dispatch(event: ConversationEvent): ConversationEffect[] {
    const [next, actions] = transition(conversationMachine, this.snapshot, event);
    this.snapshot = next;
    const effects = toEffects(actions);
    this.apply(effects);
    this.lastEffects = effects;
    return effects;
  }

  customerWrites(sentAt = this.now): ConversationEffect[] {
    this.seq += 1;
    return this.dispatch({ type: 'customer.messageReceived', messageId: `wamid.${this.seq}`, sentAt, kind: 'text', at: this.now });
  }

  /** What the workflow's Update does: refuse before recording, or dispatch the send. */
  send(message: OutboundContent): { refused: SendRefusal | null; effects: ConversationEffect[] } {
    const refused = refusalFor(this.snapshot, message, this.now);
    if (refused) return { refused, effects: [] };
    this.seq += 1;
    const effects = this.dispatch({ type: 'business.sendRequested', messageId: `msg_${this.seq}`, message, sender: { kind: 'agent', id: 'a1' }, at: this.now });
    return { refused: null, effects };
  }

  /** Moves the clock, firing due timers in order, as the workflow's durable timer would; `lastEffects` has them all. */
  advance(ms: number): ConversationEffect[] {
    const until = this.now + ms;
    const effects: ConversationEffect[] = [];
    for (;;) {
      const due = Object.entries(this.timers).filter(([, at]) => at <= until).sort((a, b) => a[1] - b[1])[0];
      if (!due) break;
      const [timerId, at] = due as [TimerId, number];
      this.now = Math.max(this.now, at);
      delete this.timers[timerId];
      effects.push(...this.dispatch({ type: timerEventFor[timerId], at: this.now }));
    }
    this.now = until;
    this.lastEffects = effects;
    return effects;
  }

  /** The state as the product names it (the status projection's own function). */
  get state(): string {
    return stateNameOf(this.snapshot);
  }

  private apply(effects: ConversationEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'startTimer') this.timers[effect.params.timerId] = effect.params.at;
      if (effect.type === 'cancelTimer') delete this.timers[effect.params.timerId];
    }
  }
}

export const sends = (effects: ConversationEffect[]) => effects.filter((e) => e.type === 'sendMessage');

/** A number whose agents answer over SIP, with the out-of-hours notice configured: the closed-hours tests' settings. */
export const agentsOverSip: ConversationSettings = {
  version: 1,
  autoReplies: { outOfHours: 'We are closed; we answer from 9:00.' },
  chatbot: { enabled: false, timeoutMs: 5_000 },
  route: { queue: 'support' },
  agentCapacity: 3,
  handOff: { sip: true, retry: { initialMs: 30_000, maxMs: 300_000, maxAttempts: 3 }, fallback: {} },
};
