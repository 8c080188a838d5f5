/**
 * What the machine's `session` region does (the customer service window: inbound, openSession,
 * expiredNeedsTemplate): the effect parameters it builds, the configured automatic answers, and what it records of
 * each customer message, call and send. Pure.
 */
import type { Plan } from './conversation.routing';
import { lastCallAfter, lastInboundAfter, windowClosesAfter } from './conversation.rules';
import { RECENT_MESSAGES, type ConversationContext, type ConversationEvent, type MessageSummary, type SendMessageEffect, type StartTimerEffect } from './conversation.types';

type EventOf<T extends ConversationEvent['type']> = Extract<ConversationEvent, { type: T }>;
type Args = { context: ConversationContext; event: ConversationEvent };

/** The recent messages with `summary` appended, the oldest dropped beyond {@link RECENT_MESSAGES}. */
export function remember(context: Pick<ConversationContext, 'recentMessages'>, summary: MessageSummary): MessageSummary[] {
  return [...(context.recentMessages ?? []), summary].slice(-RECENT_MESSAGES);
}

/** A customer message as the conversation lists it: at its timestamp, or at its receipt when dated ahead of it (as lastInboundAt). */
export const inboundSummary = (event: EventOf<'customer.messageReceived'>): MessageSummary => ({
  messageId: event.messageId,
  direction: 'inbound',
  kind: event.kind,
  at: Math.min(event.sentAt, event.at),
});

/** The `sendMessage` effect of a business send. */
export const sendParams = ({ context, event }: Args): SendMessageEffect => {
  const send = event as EventOf<'business.sendRequested'>;
  return {
    messageId: send.messageId,
    conversationId: context.conversationId,
    businessNumberId: context.businessNumberId,
    customer: context.customer,
    message: send.message,
    sender: send.sender,
    acceptedAt: send.at,
  };
};

export const windowTimer = ({ context }: Args): StartTimerEffect => ({ timerId: 'window', at: context.windowClosesAt ?? 0 });
/**
 * The idle close, on entering `expiredNeedsTemplate`: the idle period after the window's close, or after the opening
 * the conversation waits for when that is later (`routing.opensAt`, held by runs with `patched('idle-waits-for-opening')`).
 */
export const idleTimer = ({ context, event }: Args): StartTimerEffect => idleCloseAfter(context, event.at, context.routing.opensAt);

/**
 * The idle close already armed, moved to the idle period after the opening a customer message now waits for (one too
 * late to reopen the window, while the window is closed): a customer who wrote while the business was closed is
 * still open when it opens. The guard `holdsIdleForOpening` sees that the message waits and carries `opensAt`.
 */
export const idleTimerAfterOpening = ({ context, event }: Args): StartTimerEffect =>
  idleCloseAfter(context, event.at, (event as EventOf<'customer.messageReceived'>).opensAt);

/** The `idle` timer: the idle period after `at` (epoch ms), or after the awaited opening `opensAt` when that is later. */
function idleCloseAfter(context: ConversationContext, at: number, opensAt: number | undefined): StartTimerEffect {
  return { timerId: 'idle', at: Math.max(at, opensAt ?? at) + context.idleCloseAfterMs };
}

/**
 * Configured automatic answers to a customer message that opened or kept the window open: the legacy-number notice
 * (and nothing else on such a number), else welcome, unsupported type and out-of-hours replies. Ids derive from the
 * customer's message, so a replayed or redelivered message never answers twice.
 */
export function autoReplyPlan(context: ConversationContext, event: ConversationEvent): Plan {
  const plan: Plan = { patch: {}, effects: [] };
  const settings = context.settings;
  if (event.type !== 'customer.messageReceived' || !settings) return plan;
  const replies: [string, string][] = [];
  if (settings.legacy) {
    if (event.legacyReplyDue) replies.push(['legacy', settings.legacy.autoReply]);
  } else {
    // Taken at the first message that can be answered, not the first one counted (see `welcomed`). While the business
    // is closed the welcome ("an agent will be with you shortly") would contradict the out-of-hours notice: it waits
    // for the customer's first message in opening hours (runs from before the flag welcome at once, as they did).
    const welcomeWaits = event.businessOpen === false && event.welcomeWaitsForOpening === true;
    if (!(context.welcomed ?? context.inboundCount > 0) && !welcomeWaits) {
      if (settings.autoReplies.welcome) replies.push(['welcome', settings.autoReplies.welcome]);
      plan.patch.welcomed = true;
    }
    if (event.kind === 'unsupported' && settings.autoReplies.unsupportedType) replies.push(['unsupported', settings.autoReplies.unsupportedType]);
    const dueOutOfHours = event.businessOpen === false && settings.autoReplies.outOfHours && !context.outOfHoursRepliedAt;
    if (dueOutOfHours) replies.push(['out-of-hours', settings.autoReplies.outOfHours!]);
    if (event.businessOpen !== undefined) plan.patch.outOfHoursRepliedAt = dueOutOfHours ? event.at : event.businessOpen ? null : (context.outOfHoursRepliedAt ?? null);
  }
  let recent = context.recentMessages ?? [];
  for (const [purpose, text] of replies) {
    const messageId = `${event.messageId}:${purpose}`;
    plan.effects.push({
      type: 'sendMessage',
      params: { messageId, conversationId: context.conversationId, businessNumberId: context.businessNumberId, customer: context.customer, message: { type: 'text', text }, sender: { kind: 'system', id: `auto-reply:${purpose}` }, acceptedAt: event.at },
    });
    recent = remember({ recentMessages: recent }, { messageId, direction: 'outbound', kind: 'text', at: event.at });
  }
  if (replies.length > 0) Object.assign(plan.patch, { outboundCount: context.outboundCount + replies.length, recentMessages: recent });
  return plan;
}

/** What the `session` region records of each customer message, call and send: the context patch (pure). */
export const sessionRecords = {
  /** A customer message that opens or keeps the window: it moves to 24 h from the message, and is counted and listed. */
  recordInbound: (context: ConversationContext, inbound: EventOf<'customer.messageReceived'>): Partial<ConversationContext> => ({
    windowClosesAt: windowClosesAfter(context, inbound),
    lastInboundAt: lastInboundAfter(context, inbound),
    firstInboundAt: context.firstInboundAt ?? inbound.at,
    inboundCount: context.inboundCount + 1,
    customer: { ...context.customer, ...inbound.customer, key: context.customer.key },
    recentMessages: remember(context, inboundSummary(inbound)),
  }),
  /** A message too late to (re)open the window: counted, the deadline stays. */
  countInbound: (context: ConversationContext, inbound: EventOf<'customer.messageReceived'>): Partial<ConversationContext> => ({
    // When the customer last wrote, shown to people; the window's deadline is windowClosesAt, which stays.
    lastInboundAt: lastInboundAfter(context, inbound),
    inboundCount: context.inboundCount + 1,
    firstInboundAt: context.firstInboundAt ?? inbound.at,
    recentMessages: remember(context, inboundSummary(inbound)),
  }),
  /**
   * The customer called: the window opens or moves to 24 h from the call (never back), as for a message; the call
   * counts as no message (no thread line, no welcome, no routing: the call workflow routes the call).
   */
  recordCall: (context: ConversationContext, call: EventOf<'customer.called'>): Partial<ConversationContext> => ({
    windowClosesAt: windowClosesAfter(context, { sentAt: call.calledAt, at: call.at }),
    lastCalledAt: lastCallAfter(context, call),
  }),
  /** A call too late to (re)open the window: remembered, the deadline stays. */
  countCall: (context: ConversationContext, call: EventOf<'customer.called'>): Partial<ConversationContext> => ({ lastCalledAt: lastCallAfter(context, call) }),
  recordSend: (context: ConversationContext, send: EventOf<'business.sendRequested'>): Partial<ConversationContext> => ({
    outboundCount: context.outboundCount + 1,
    // First response time counts only answers to a customer, not a business-initiated opener.
    firstResponseAt: context.firstInboundAt === null ? null : (context.firstResponseAt ?? send.at),
    recentMessages: remember(context, { messageId: send.messageId, direction: 'outbound', kind: send.message.type, at: send.at }),
  }),
};
