/**
 * The way to a person, as the machine's `routing` region does it: the chatbot stage, routing attempts over SIP, busy
 * retries with backoff, the fallback, and the agent's assignment until the contact centre or the agent ends it. The
 * region's states and transitions are in conversation.machine.ts; this file holds what its guards ask and what its
 * actions do, as pure functions of the context and the event. Each action returns a {@link Plan}: a context patch and
 * the effects to carry out, in order; the machine applies both.
 */
import { RECENT_MESSAGES, type ConversationContext, type ConversationEffect, type ConversationEvent, type HandOffSettings, type RoutingContext, type Sender, type SessionContent } from './conversation.types';
import { isWindowOpenAt, windowClosesAfter } from './conversation.rules';

/** What one action does: a context patch and the effects to carry out, in order. */
export interface Plan {
  patch: Partial<ConversationContext>;
  effects: ConversationEffect[];
}

type EventOf<T extends ConversationEvent['type']> = Extract<ConversationEvent, { type: T }>;

/** Routing's memory before anything was routed. */
export const idleRouting: RoutingContext = {
  queue: null,
  attempt: 0,
  busyCount: 0,
  assignment: null,
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
    return this.context.routing;
  }

  /** Id stem for the connector's own replies on the way to a person. */
  get cause(): string {
    return this.routing.cause ?? `${this.context.conversationId}:${this.context.firstInboundAt ?? 0}`;
  }

  get handOff(): HandOffSettings | undefined {
    return this.context.settings?.handOff;
  }

  setRouting(change: Partial<RoutingContext>): this {
    this.patch.routing = { ...this.routing, ...change };
    return this;
  }

  /** A session message from the connector itself; dropped when the window is closed (only templates could go). True if sent. */
  say(messageId: string, reply: string | SessionContent, sender: Sender, at: number): boolean {
    const context = this.context;
    const message: SessionContent = typeof reply === 'string' ? { type: 'text', text: reply } : reply;
    if (!isWindowOpenAt(context, at)) return false;
    this.effects.push({
      type: 'sendMessage',
      params: { messageId, conversationId: context.conversationId, businessNumberId: context.businessNumberId, customer: context.customer, message, sender, acceptedAt: at },
    });
    this.patch.outboundCount = context.outboundCount + 1;
    this.patch.recentMessages = [...(context.recentMessages ?? []), { messageId, direction: 'outbound' as const, kind: message.type, at }].slice(-RECENT_MESSAGES);
    if (sender.kind === 'bot' && context.firstInboundAt !== null) this.patch.firstResponseAt = context.firstResponseAt ?? at;
    return true;
  }

  /** Places the next routing attempt (an INVITE). Only with a SIP connector: the machine's guards see to that. */
  invite(target: { queue?: string; targetAgentId?: string } = {}): this {
    const context = this.context;
    const route = context.settings?.route;
    const queue = target.queue ?? this.routing.queue ?? route?.queue ?? 'default';
    const skill = target.queue === undefined ? (this.routing.skill ?? route?.skill) : undefined;
    const attempt = this.routing.attempt + 1;
    this.setRouting({ queue, attempt, skill, targetAgentId: target.targetAgentId });
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
    return this;
  }

  done(): Plan {
    return { patch: this.patch, effects: this.effects };
  }
}

/** The next wait after `busyCount` busy answers: doubling from the initial wait, never beyond the maximum. */
export function retryDelayMs(retry: HandOffSettings['retry'], busyCount: number, retryAfterMs?: number): number {
  const backoff = Math.min(retry.initialMs * 2 ** Math.max(busyCount - 1, 0), retry.maxMs);
  return retryAfterMs === undefined ? backoff : Math.max(backoff, Math.min(retryAfterMs, retry.maxMs));
}

/** Guards of the `routing` region: what it asks of the context and the event before it moves. */
export const routingGuards = {
  /** A bot is configured and this customer message leaves the window open (its own deadline counts: guards run before the message is recorded). */
  isBotAnswering: (context: ConversationContext, event: ConversationEvent): boolean => {
    const settings = context.settings;
    if (event.type !== 'customer.messageReceived' || !settings || settings.legacy) return false;
    return settings.chatbot.enabled && settings.chatbot.endpoint !== undefined && isWindowOpenAt({ windowClosesAt: windowClosesAfter(context, event) }, event.at);
  },
  /** People answer this customer message: a SIP connector, not a legacy number, and not outside business hours. */
  isForAgents: (context: ConversationContext, event: ConversationEvent): boolean =>
    event.type === 'customer.messageReceived' && routingGuards.hasAgents(context) && event.businessOpen !== false,
  /**
   * A message people would answer but for the hours, with the opening time known (`opensAt`, runs with
   * `patched('routes-at-opening')`): routing waits for the `opening` timer instead of the customer's next message.
   */
  waitsForOpening: (context: ConversationContext, event: ConversationEvent): boolean =>
    event.type === 'customer.messageReceived' && event.businessOpen === false && event.opensAt !== undefined && routingGuards.hasAgents(context),
  /** {@link waitsForOpening}, from a run that holds the idle close for the opening (`patched('idle-waits-for-opening')`). */
  holdsIdleForOpening: (context: ConversationContext, event: ConversationEvent): boolean =>
    event.type === 'customer.messageReceived' && event.idleWaitsForOpening === true && routingGuards.waitsForOpening(context, event),
  /** People answer this conversation: a SIP connector, and not a legacy number. */
  hasAgents: (context: ConversationContext): boolean => !!context.settings && !context.settings.legacy && context.settings.handOff?.sip === true,
  hasSipConnector: (context: ConversationContext): boolean => context.settings?.handOff?.sip === true,
  /** A SIP answer to the attempt the conversation waits for (an earlier attempt's answer is stale). */
  isCurrentAttempt: (context: ConversationContext, event: ConversationEvent): boolean =>
    (event.type === 'sip.answered' || event.type === 'sip.busy' || event.type === 'sip.failed') && event.attempt === context.routing.attempt,
  hasRetrySettings: (context: ConversationContext): boolean => context.settings?.handOff !== undefined,
  /** This busy answer is the last one the retry settings allow. */
  isLastAttempt: (context: ConversationContext): boolean => context.routing.busyCount + 1 >= (context.settings?.handOff?.retry.maxAttempts ?? 0),
  /** A fallback queue is configured and not yet tried. */
  hasFallbackQueue: (context: ConversationContext): boolean => {
    const handOff = context.settings?.handOff;
    return !!handOff?.sip && !!handOff.fallback.queue && context.routing.queue !== handOff.fallback.queue;
  },
  /** The contact centre's BYE names the call the agent holds the conversation on. */
  isAssignedCall: (context: ConversationContext, event: ConversationEvent): boolean =>
    event.type === 'agent.released' && context.routing.assignment?.call.callId === event.callId,
};

/** Actions of the `routing` region, each a pure function from the context and the event to a {@link Plan}. */
export const routingActions = {
  /** Asks the bot about the customer's message. */
  askBotAbout: (context: ConversationContext, event: ConversationEvent): Plan => {
    const message = event as EventOf<'customer.messageReceived'>;
    const chatbot = context.settings!.chatbot;
    const plan = new Planner(context).setRouting({ cause: message.messageId });
    plan.effects.push({
      type: 'askBot',
      params: { conversationId: context.conversationId, businessNumberId: context.businessNumberId, customer: context.customer, messageId: message.messageId, endpoint: chatbot.endpoint!, timeoutMs: chatbot.timeoutMs },
    });
    return plan.done();
  },
  /** Passes the bot's answers on to the customer (while the window is open). */
  relayBotReplies: (context: ConversationContext, event: ConversationEvent): Plan => {
    const { messageId, replies, at } = event as EventOf<'bot.replied'>;
    const plan = new Planner(context);
    replies.forEach((reply, i) => plan.say(`${messageId}:bot:${i}`, reply, { kind: 'bot' }, at));
    return plan.done();
  },
  /** A customer's message (or the one the bot handed off on) sets routing going: the queue notice is due again. */
  beginRouting: (context: ConversationContext, event: ConversationEvent): Plan =>
    new Planner(context).setRouting({ cause: (event as EventOf<'customer.messageReceived' | 'bot.failed' | 'bot.handOffRequested'>).messageId, queueNoticeSent: false }).done(),
  /** Remembers the opening the conversation now waits for, when the run holds the idle close for it (see `idleTimer`). */
  awaitOpening: (context: ConversationContext, event: ConversationEvent): Plan => {
    const plan = new Planner(context);
    if (routingGuards.holdsIdleForOpening(context, event)) plan.setRouting({ opensAt: (event as EventOf<'customer.messageReceived'>).opensAt });
    return plan.done();
  },
  /** Leaving `idle`: the opening is no longer awaited, the idle close no longer held for it (nothing to do in older runs). */
  forgetOpening: (context: ConversationContext, _event?: ConversationEvent): Plan => {
    if (context.routing.opensAt === undefined) return { patch: {}, effects: [] };
    const { opensAt: _opensAt, ...routing } = context.routing;
    return { patch: { routing }, effects: [] };
  },
  /** The next INVITE: to the agent or queue a transfer names, again to a transfer's agent on a retry, else to the route's queue. */
  inviteAgent: (context: ConversationContext, event: ConversationEvent): Plan => {
    const plan = new Planner(context);
    if (event.type === 'agent.transferRequested') {
      const to = event.to;
      return plan.invite('agentId' in to ? { targetAgentId: to.agentId, ...(to.queue ? { queue: to.queue } : {}) } : { queue: to.queue }).done();
    }
    const targetAgentId = event.type === 'routing.retryDue' ? context.routing.targetAgentId : undefined;
    return plan.invite(targetAgentId ? { targetAgentId } : {}).done();
  },
  /** One more busy (or unanswered) attempt; the queue notice goes out with the first busy answer that can carry it. */
  countBusyAnswer: (context: ConversationContext, event: ConversationEvent): Plan => {
    const plan = new Planner(context).setRouting({ busyCount: context.routing.busyCount + 1 });
    const queueText = context.settings?.autoReplies.queue;
    // Marked sent only when it went: with the window closed it waits for a busy answer that can carry it.
    if (!context.routing.queueNoticeSent && queueText && plan.say(`${plan.cause}:queue`, queueText, { kind: 'system', id: 'auto-reply:queue' }, event.at)) {
      plan.setRouting({ queueNoticeSent: true });
    }
    return plan.done();
  },
  /** Nobody could be reached in the route's queue: the fallback queue, once. */
  inviteFallbackQueue: (context: ConversationContext, _event?: ConversationEvent): Plan =>
    new Planner(context).setRouting({ busyCount: 0, targetAgentId: undefined }).invite({ queue: context.settings!.handOff!.fallback.queue }).done(),
  /** Nobody could be reached at all: the fallback reply, and the conversation waits for the customer. */
  giveFallbackReply: (context: ConversationContext, event: ConversationEvent): Plan => {
    const plan = new Planner(context).setRouting({ busyCount: 0, targetAgentId: undefined });
    const reply = context.settings?.handOff?.fallback.autoReply;
    if (reply) plan.say(`${plan.cause}:fallback:${plan.routing.attempt}`, reply, { kind: 'system', id: 'auto-reply:fallback' }, event.at);
    plan.effects.push({ type: 'cancelTimer', params: { timerId: 'routeRetry' } });
    return plan.done();
  },
  /** The answer to the current attempt: the agent holds the conversation on this call. */
  assignAgent: (context: ConversationContext, event: ConversationEvent): Plan => {
    const { agentId, call, at } = event as EventOf<'sip.answered'>;
    const plan = new Planner(context).setRouting({ assignment: { agentId, call }, busyCount: 0, assignedAt: context.routing.assignedAt ?? at, targetAgentId: undefined });
    plan.effects.push({ type: 'cancelTimer', params: { timerId: 'routeRetry' } });
    return plan.done();
  },
  /** Leaving `assigned`, however: frees the agent's slot, and hangs the call up unless the contact centre did (its BYE). */
  releaseAssignedAgent: (context: ConversationContext, event: ConversationEvent): Plan => {
    const plan = new Planner(context).setRouting({ assignment: null, targetAgentId: undefined });
    const assignment = context.routing.assignment;
    if (assignment) {
      const hangUp = event.type !== 'agent.released';
      plan.effects.push({ type: 'releaseAgent', params: { conversationId: context.conversationId, agentId: assignment.agentId, call: assignment.call, hangUp } });
    }
    return plan.done();
  },
  /** A transfer starts a new round of attempts, with replies of its own. */
  beginTransfer: (context: ConversationContext, _event?: ConversationEvent): Plan => {
    const plan = new Planner(context);
    return plan.setRouting({ busyCount: 0, cause: `${plan.cause}:transfer:${context.routing.attempt}` }).done();
  },
  /** An answer to an attempt the conversation no longer waits for: hang it up, it holds an agent for nothing. */
  hangUpStrayAnswer: (context: ConversationContext, event: ConversationEvent): Plan => {
    const { agentId, call } = event as EventOf<'sip.answered'>;
    return { patch: {}, effects: [{ type: 'releaseAgent', params: { conversationId: context.conversationId, agentId, call, hangUp: true } }] };
  },
};

/** When the `opening` timer fires: the opening time the settings read gave with the customer's message (epoch ms). */
export function openingAt(event: ConversationEvent): number {
  return event.type === 'customer.messageReceived' ? (event.opensAt ?? event.at) : event.at;
}

/** When the next attempt is due after a busy answer (the `retrying` state's timer), epoch ms. */
export function retryDueAt(context: ConversationContext, event: ConversationEvent): number {
  const busy = event as EventOf<'sip.busy'>;
  return busy.at + retryDelayMs(context.settings!.handOff!.retry, context.routing.busyCount, busy.retryAfterMs);
}
