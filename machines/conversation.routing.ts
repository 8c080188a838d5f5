/**
 * The way to a person: the chatbot stage, routing attempts over SIP, busy retries with backoff, the fallback, and
 * the agent's assignment until the contact centre or the agent ends it. Pure: {@link routingPlan} maps the context
 * and an event to a context patch and the effects to carry out; the machine applies both.
 */
import { RECENT_MESSAGES, type ConversationContext, type ConversationEffect, type ConversationEvent, type HandOffSettings, type RoutingContext, type Sender, type SessionContent } from './conversation.types';
import { isWindowOpenAt } from './conversation.rules';

export interface RoutingPlan {
  patch: Partial<ConversationContext>;
  effects: ConversationEffect[];
}

export const idleRouting: RoutingContext = {
  phase: 'none',
  queue: null,
  attempt: 0,
  busyCount: 0,
  call: null,
  queueNoticeSent: false,
  assignedAt: null,
};

/** Builds a plan step by step over a working copy of the context. */
class Planner {
  readonly effects: ConversationEffect[] = [];
  readonly patch: Partial<ConversationContext> = {};

  constructor(private readonly base: ConversationContext) {}

  get context(): ConversationContext {
    return { ...this.base, ...this.patch };
  }

  get routing(): RoutingContext {
    return this.context.routing ?? idleRouting;
  }

  /** Id stem for the connector's own replies on the way to a person. */
  get cause(): string {
    return this.routing.cause ?? `${this.context.conversationId}:${this.context.firstInboundAt ?? 0}`;
  }

  get handOff(): HandOffSettings | undefined {
    return this.context.settings?.handOff;
  }

  setRouting(change: Partial<RoutingContext>): void {
    this.patch.routing = { ...this.routing, ...change };
  }

  /** A session message from the connector itself; dropped when the window is closed (only templates could go). True if sent. */
  say(messageId: string, reply: string | SessionContent, sender: Sender, at: number): boolean {
    const context = this.context;
    const message: SessionContent = typeof reply === 'string' ? { type: 'text', text: reply } : reply;
    if (!isWindowOpenAt(context, at)) return false;
    this.effects.push({
      type: 'sendMessage',
      params: {
        messageId,
        conversationId: context.conversationId,
        businessNumberId: context.businessNumberId,
        customer: context.customer,
        message,
        sender,
        acceptedAt: at,
      },
    });
    this.patch.outboundCount = context.outboundCount + 1;
    this.patch.recentMessages = [...(context.recentMessages ?? []), { messageId, direction: 'outbound' as const, kind: message.type, at }].slice(-RECENT_MESSAGES);
    if (sender.kind === 'bot' && context.firstInboundAt !== null) this.patch.firstResponseAt = context.firstResponseAt ?? at;
    return true;
  }

  /** Places the next routing attempt, or, without a SIP connector, gives the customer the fallback reply. */
  invite(at: number, target: { queue?: string; targetAgentId?: string } = {}): void {
    const context = this.context;
    if (!this.handOff?.sip) return this.fallBack(at);
    const route = context.settings?.route;
    const queue = target.queue ?? this.routing.queue ?? route?.queue ?? 'default';
    const skill = target.queue === undefined ? (this.routing.skill ?? route?.skill) : undefined;
    const attempt = this.routing.attempt + 1;
    this.setRouting({ phase: 'queued', queue, attempt, skill, targetAgentId: target.targetAgentId });
    this.effects.push({
      type: 'routeToAgent',
      params: {
        conversationId: context.conversationId,
        attempt,
        businessNumberId: context.businessNumberId,
        customer: context.customer,
        queue,
        ...(skill ? { skill } : {}),
        ...(target.targetAgentId ? { targetAgentId: target.targetAgentId } : {}),
        agentCapacity: context.settings?.agentCapacity ?? 1,
      },
    });
  }

  /** Nobody could be reached: the fallback queue once, else the fallback reply, and the conversation waits. */
  fallBack(at: number): void {
    const fallback = this.handOff?.fallback;
    if (this.handOff?.sip && fallback?.queue && this.routing.queue !== fallback.queue) {
      this.setRouting({ busyCount: 0, targetAgentId: undefined });
      return this.invite(at, { queue: fallback.queue });
    }
    this.setRouting({ phase: 'none', busyCount: 0, targetAgentId: undefined });
    if (fallback?.autoReply) this.say(`${this.cause}:fallback:${this.routing.attempt}`, fallback.autoReply, { kind: 'system', id: 'auto-reply:fallback' }, at);
    this.effects.push({ type: 'cancelTimer', params: { timerId: 'routeRetry' } });
  }

  /** Ends the current assignment: frees the agent's slot, and hangs up unless the far end did. */
  release(hangUp: boolean): void {
    const { call } = this.routing;
    const agentId = this.context.agentId;
    if (call && agentId !== null) this.effects.push({ type: 'releaseAgent', params: { conversationId: this.context.conversationId, agentId, call, hangUp } });
    this.patch.agentId = null;
    this.setRouting({ phase: 'none', call: null, targetAgentId: undefined });
  }
}

/** The next wait after `busyCount` busy answers: doubling from the initial wait, never beyond the maximum. */
export function retryDelayMs(retry: HandOffSettings['retry'], busyCount: number, retryAfterMs?: number): number {
  const backoff = Math.min(retry.initialMs * 2 ** Math.max(busyCount - 1, 0), retry.maxMs);
  return retryAfterMs === undefined ? backoff : Math.max(backoff, Math.min(retryAfterMs, retry.maxMs));
}

/** What routing does with an event. Events of other kinds, and stale answers to earlier attempts, change nothing. */
export function routingPlan(context: ConversationContext, event: ConversationEvent): RoutingPlan {
  const plan = new Planner(context);
  const routing = plan.routing;
  const settings = context.settings;
  switch (event.type) {
    case 'customer.messageReceived': {
      if (!settings || settings.legacy) break;
      const botOn = settings.chatbot.enabled && settings.chatbot.endpoint !== undefined && isWindowOpenAt(context, event.at);
      if (botOn && (routing.phase === 'none' || routing.phase === 'bot')) {
        plan.setRouting({ phase: 'bot', cause: event.messageId });
        plan.effects.push({
          type: 'askBot',
          params: {
            conversationId: context.conversationId,
            businessNumberId: context.businessNumberId,
            customer: context.customer,
            messageId: event.messageId,
            endpoint: settings.chatbot.endpoint!,
            timeoutMs: settings.chatbot.timeoutMs,
          },
        });
      } else if (routing.phase === 'none' && settings.handOff?.sip && event.businessOpen !== false) {
        plan.setRouting({ cause: event.messageId, queueNoticeSent: false });
        plan.invite(event.at);
      }
      break;
    }
    case 'bot.replied':
      if (routing.phase !== 'bot') break;
      event.replies.forEach((reply, i) => plan.say(`${event.messageId}:bot:${i}`, reply, { kind: 'bot' }, event.at));
      break;
    case 'bot.handOffRequested':
    case 'bot.failed':
      if (routing.phase !== 'bot') break;
      plan.setRouting({ phase: 'none', cause: event.messageId, queueNoticeSent: false });
      plan.invite(event.at);
      break;
    case 'sip.answered':
      if (routing.phase !== 'queued' || event.attempt !== routing.attempt) {
        // An answer to an attempt we no longer wait for: hang it up, it holds an agent for nothing.
        plan.effects.push({ type: 'releaseAgent', params: { conversationId: context.conversationId, agentId: event.agentId, call: event.call, hangUp: true } });
        break;
      }
      plan.patch.agentId = event.agentId;
      plan.setRouting({ phase: 'assigned', call: event.call, busyCount: 0, assignedAt: routing.assignedAt ?? event.at, targetAgentId: undefined });
      plan.effects.push({ type: 'cancelTimer', params: { timerId: 'routeRetry' } });
      break;
    case 'sip.busy': {
      if (routing.phase !== 'queued' || event.attempt !== routing.attempt || !settings?.handOff) break;
      const busyCount = routing.busyCount + 1;
      plan.setRouting({ busyCount });
      const queueText = settings.autoReplies.queue;
      // Marked sent only when it went: with the window closed it waits for a busy answer that can carry it.
      if (!routing.queueNoticeSent && queueText && plan.say(`${plan.cause}:queue`, queueText, { kind: 'system', id: 'auto-reply:queue' }, event.at)) {
        plan.setRouting({ queueNoticeSent: true });
      }
      if (busyCount >= settings.handOff.retry.maxAttempts) {
        plan.fallBack(event.at);
        break;
      }
      const due = event.at + retryDelayMs(settings.handOff.retry, busyCount, event.retryAfterMs);
      plan.effects.push({ type: 'startTimer', params: { timerId: 'routeRetry', at: due } });
      break;
    }
    case 'sip.failed':
      if (routing.phase !== 'queued' || event.attempt !== routing.attempt) break;
      plan.fallBack(event.at);
      break;
    case 'routing.retryDue':
      if (routing.phase === 'queued') plan.invite(event.at, routing.targetAgentId ? { targetAgentId: routing.targetAgentId } : {});
      break;
    case 'agent.released':
      if (routing.phase === 'assigned' && routing.call?.callId === event.callId) plan.release(false);
      break;
    case 'agent.transferRequested':
      if (routing.phase !== 'assigned') break;
      plan.release(true);
      plan.setRouting({ busyCount: 0, cause: `${plan.cause}:transfer:${routing.attempt}` });
      plan.invite(event.at, 'agentId' in event.to ? { targetAgentId: event.to.agentId, ...(event.to.queue ? { queue: event.to.queue } : {}) } : { queue: event.to.queue });
      break;
    case 'conversation.closeRequested':
    case 'idle.elapsed':
      if (routing.phase === 'assigned') plan.release(true);
      else if (routing.phase !== 'none') plan.setRouting({ phase: 'none' });
      break;
    default:
      break;
  }
  return { patch: plan.patch, effects: plan.effects };
}

/** Whether `event` ends the assignment of the agent holding the conversation (the machine leaves handedToAgent). */
export function endsAssignment(context: ConversationContext, event: ConversationEvent): boolean {
  const routing = context.routing;
  if (routing?.phase !== 'assigned') return false;
  return (event.type === 'agent.released' && routing.call?.callId === event.callId) || event.type === 'agent.transferRequested';
}

/** Whether `event` answers the routing attempt the conversation waits for (the machine enters handedToAgent). */
export function answersCurrentAttempt(context: ConversationContext, event: ConversationEvent): boolean {
  return event.type === 'sip.answered' && context.routing?.phase === 'queued' && event.attempt === context.routing.attempt;
}
