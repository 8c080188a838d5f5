import { and, assign, enqueueActions, or, setup } from 'xstate';
import {
  RECENT_MESSAGES,
  type CancelTimerEffect,
  type ConversationContext,
  type ConversationEvent,
  type ConversationInput,
  type FetchMediaEffect,
  type MessageSummary,
  type SendMessageEffect,
  type StartTimerEffect,
} from './conversation.types';
import { answersCurrentAttempt, endsAssignment, routingPlan } from './conversation.routing';
import { isWindowClosedByRefusal, isWindowOpenAt, mayGoOutsideWindow, windowEndFor } from './conversation.rules';

type EventOf<T extends ConversationEvent['type']> = Extract<ConversationEvent, { type: T }>;
type Args = { context: ConversationContext; event: ConversationEvent };

function remember(context: ConversationContext, summary: MessageSummary): MessageSummary[] {
  return [...(context.recentMessages ?? []), summary].slice(-RECENT_MESSAGES);
}

const inboundSummary = (event: EventOf<'customer.messageReceived'>): MessageSummary => ({
  messageId: event.messageId,
  direction: 'inbound',
  kind: event.kind,
  at: event.sentAt,
});

const sendParams = ({ context, event }: Args): SendMessageEffect => {
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

const windowTimer = ({ context }: Args): StartTimerEffect => ({ timerId: 'window', at: context.windowClosesAt ?? 0 });
const idleTimer = ({ context, event }: Args): StartTimerEffect => ({
  timerId: 'idle',
  at: event.at + context.idleCloseAfterMs,
});

/**
 * The conversation, as WhatsApp's rules see it. Pure: time and ids arrive inside events; timers and sends leave
 * as effects (`startTimer`, `cancelTimer`, `sendMessage`) that the workflow turns into Temporal timers and
 * activities. Advance it only with xstate's `initialTransition` / `transition`.
 */
export const conversationMachine = setup({
  types: {} as { context: ConversationContext; events: ConversationEvent; input: ConversationInput },
  actions: {
    // Effects: empty bodies; the workflow carries them out.
    sendMessage: (_, _params: SendMessageEffect) => {},
    startTimer: (_, _params: StartTimerEffect) => {},
    cancelTimer: (_, _params: CancelTimerEffect) => {},
    fetchMedia: (_, _params: FetchMediaEffect) => {},
    /** Every customer image is fetched, whatever the state: the broker's URL expires within minutes. */
    fetchImage: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'customer.messageReceived' || !event.brokerMediaId) return;
      const params: FetchMediaEffect = { messageId: event.messageId, businessNumberId: context.businessNumberId, brokerMediaId: event.brokerMediaId };
      // setup() cannot type a reference to an action declared beside this one; the effect test pins the shape.
      enqueue({ type: 'fetchMedia', params } as never);
    }),
    /**
     * Configured automatic answers to a customer message that opened or kept the window open: the legacy-number
     * notice (and nothing else on such a number), else welcome, unsupported type and out-of-hours replies. Ids
     * derive from the customer's message, so a replayed or redelivered message never answers twice.
     */
    autoReply: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'customer.messageReceived') return;
      const settings = context.settings;
      if (!settings) return;
      const replies: [string, string][] = [];
      if (settings.legacy) {
        if (event.legacyReplyDue) replies.push(['legacy', settings.legacy.autoReply]);
      } else {
        // Taken at the first message that can be answered, not the first one counted (see `welcomed`).
        if (!(context.welcomed ?? context.inboundCount > 0)) {
          if (settings.autoReplies.welcome) replies.push(['welcome', settings.autoReplies.welcome]);
          enqueue.assign({ welcomed: true });
        }
        if (event.kind === 'unsupported' && settings.autoReplies.unsupportedType) replies.push(['unsupported', settings.autoReplies.unsupportedType]);
        const dueOutOfHours = event.businessOpen === false && settings.autoReplies.outOfHours && !context.outOfHoursRepliedAt;
        if (dueOutOfHours) replies.push(['out-of-hours', settings.autoReplies.outOfHours!]);
        if (event.businessOpen !== undefined) enqueue.assign({ outOfHoursRepliedAt: dueOutOfHours ? event.at : event.businessOpen ? null : (context.outOfHoursRepliedAt ?? null) });
      }
      for (const [purpose, text] of replies) {
        const params: SendMessageEffect = {
          messageId: `${event.messageId}:${purpose}`,
          conversationId: context.conversationId,
          businessNumberId: context.businessNumberId,
          customer: context.customer,
          message: { type: 'text', text },
          sender: { kind: 'system', id: `auto-reply:${purpose}` },
          acceptedAt: event.at,
        };
        enqueue({ type: 'sendMessage', params } as never);
      }
      if (replies.length > 0) {
        enqueue.assign(({ context: current }) => ({
          outboundCount: current.outboundCount + replies.length,
          recentMessages: replies.reduce(
            (recent, [purpose]) => remember({ ...current, recentMessages: recent }, { messageId: `${event.messageId}:${purpose}`, direction: 'outbound', kind: 'text', at: event.at }),
            current.recentMessages ?? [],
          ),
        }));
      }
    }),
    /** The chatbot stage, routing to the contact centre and the agent's assignment (see conversation.routing.ts). */
    route: enqueueActions(({ context, event, enqueue }) => {
      const plan = routingPlan(context, event);
      for (const effect of plan.effects) enqueue(effect as never);
      if (Object.keys(plan.patch).length > 0) enqueue.assign(plan.patch);
    }),
    applySettings: assign(({ context, event }) => {
      const applied = event as EventOf<'settings.applied'>;
      return { settings: applied.settings, idleCloseAfterMs: applied.settings.idleCloseAfterMs ?? context.idleCloseAfterMs };
    }),
    // Context updates.
    recordInbound: assign(({ context, event }) => {
      const inbound = event as EventOf<'customer.messageReceived'>;
      return {
        // Webhooks arrive late and out of order: only a newer message moves the deadline.
        windowClosesAt: Math.max(context.windowClosesAt ?? 0, windowEndFor(inbound)),
        lastInboundAt: Math.max(context.lastInboundAt ?? 0, inbound.sentAt),
        firstInboundAt: context.firstInboundAt ?? inbound.at,
        inboundCount: context.inboundCount + 1,
        customer: { ...context.customer, ...inbound.customer, key: context.customer.key },
        recentMessages: remember(context, inboundSummary(inbound)),
      };
    }),
    /** A message too late to (re)open the window: counted, the deadline stays. */
    countInbound: assign(({ context, event }) => ({
      inboundCount: context.inboundCount + 1,
      firstInboundAt: context.firstInboundAt ?? event.at,
      recentMessages: remember(context, inboundSummary(event as EventOf<'customer.messageReceived'>)),
    })),
    recordSend: assign(({ context, event }) => ({
      outboundCount: context.outboundCount + 1,
      // First response time counts only answers to a customer, not a business-initiated opener.
      firstResponseAt: context.firstInboundAt === null ? null : (context.firstResponseAt ?? event.at),
      recentMessages: remember(context, {
        messageId: (event as EventOf<'business.sendRequested'>).messageId,
        direction: 'outbound',
        kind: (event as EventOf<'business.sendRequested'>).message.type,
        at: event.at,
      }),
    })),
    /** WhatsApp refused a session message (131047): its word beats our timer; the window is closed from now. */
    closeWindowEarly: assign({ windowClosesAt: ({ event }) => event.at }),
    markClosed: assign({ closedReason: (_, params: { reason: 'idle' | 'requested' }) => params.reason }),
  },
  guards: {
    // A template, or Direct Send content (conversation.rules.ts): what may go out whatever the window.
    isTemplate: ({ event }) => event.type === 'business.sendRequested' && mayGoOutsideWindow(event.message),
    isWindowOpen: ({ context, event }) => isWindowOpenAt(context, event.at),
    isWindowDue: ({ context, event }) => !isWindowOpenAt(context, event.at),
    opensWindow: ({ event }) => event.type === 'customer.messageReceived' && windowEndFor(event) > event.at,
    hasAgent: ({ context }) => context.agentId !== null,
    isWindowClosedByBroker: ({ context, event }) => event.type === 'broker.rejected' && isWindowClosedByRefusal(context, event),
    answersCurrentAttempt: ({ context, event }) => answersCurrentAttempt(context, event),
    endsAssignment: ({ context, event }) => endsAssignment(context, event),
  },
}).createMachine({
  id: 'conversation',
  initial: 'inbound',
  context: ({ input }) => ({
    ...input,
    windowClosesAt: null,
    lastInboundAt: null,
    agentId: null,
    firstInboundAt: null,
    firstResponseAt: null,
    inboundCount: 0,
    outboundCount: 0,
    closedReason: null,
    recentMessages: [],
    welcomed: false,
  }),
  on: {
    'conversation.closeRequested': { target: '.closed', actions: ['route', { type: 'markClosed', params: { reason: 'requested' } }] },
    // A newly published configuration takes effect at the conversation's next event, whatever its state.
    'settings.applied': { actions: 'applySettings' },
    // Routing goes on whatever the window does; only entering and leaving handedToAgent is the session's business.
    'bot.replied': { actions: 'route' },
    'bot.handOffRequested': { actions: 'route' },
    'bot.failed': { actions: 'route' },
    'sip.answered': { actions: 'route' },
    'sip.busy': { actions: 'route' },
    'sip.failed': { actions: 'route' },
    'routing.retryDue': { actions: 'route' },
    'agent.released': { actions: 'route' },
    'agent.transferRequested': { actions: 'route' },
  },
  states: {
    /** Nothing handled yet: the first event decides whether the customer or the business opened it. */
    inbound: {
      on: {
        'customer.messageReceived': [
          { guard: 'opensWindow', target: 'session.openSession', actions: ['autoReply', 'recordInbound', 'fetchImage', { type: 'startTimer', params: windowTimer }, 'route'] },
          // Delivered so late that its window has already passed: kept, but only a template may answer.
          { target: 'expiredNeedsTemplate', actions: ['countInbound', 'fetchImage', 'route'] },
        ],
        // A number that never wrote can only be reached with a template; the window opens when they reply.
        'business.sendRequested': {
          guard: 'isTemplate',
          target: 'expiredNeedsTemplate',
          actions: ['recordSend', { type: 'sendMessage', params: sendParams }],
        },
      },
    },
    /** The window is open: any message may be sent. The children say whether an agent holds the conversation. */
    session: {
      initial: 'openSession',
      on: {
        // Every customer message may move the deadline (recordInbound keeps the later one).
        'customer.messageReceived': { actions: ['autoReply', 'recordInbound', 'fetchImage', { type: 'startTimer', params: windowTimer }, 'route'] },
        'business.sendRequested': {
          guard: or(['isTemplate', 'isWindowOpen']),
          actions: ['recordSend', { type: 'sendMessage', params: sendParams }],
        },
        'window.expired': { guard: 'isWindowDue', target: 'expiredNeedsTemplate' },
        'broker.rejected': { guard: 'isWindowClosedByBroker', target: 'expiredNeedsTemplate', actions: 'closeWindowEarly' },
        'sip.answered': { guard: 'answersCurrentAttempt', target: '.handedToAgent', actions: 'route' },
        'agent.released': { guard: 'endsAssignment', target: '.openSession', actions: 'route' },
        'agent.transferRequested': { guard: 'endsAssignment', target: '.openSession', actions: 'route' },
      },
      states: {
        /** Served by the bot, an integrator, or waiting in the contact centre's queue. */
        openSession: {},
        /** An agent the contact centre routed the conversation to (over SIP) holds it. */
        handedToAgent: {},
      },
    },
    /** No open window: only templates may go out. The conversation ends if nobody writes for the idle period. */
    expiredNeedsTemplate: {
      entry: [{ type: 'cancelTimer', params: { timerId: 'window' } }, { type: 'startTimer', params: idleTimer }],
      exit: { type: 'cancelTimer', params: { timerId: 'idle' } },
      on: {
        'customer.messageReceived': [
          {
            guard: and(['opensWindow', 'hasAgent']),
            target: 'session.handedToAgent',
            actions: ['autoReply', 'recordInbound', 'fetchImage', { type: 'startTimer', params: windowTimer }, 'route'],
          },
          { guard: 'opensWindow', target: 'session.openSession', actions: ['autoReply', 'recordInbound', 'fetchImage', { type: 'startTimer', params: windowTimer }, 'route'] },
          { actions: ['countInbound', 'fetchImage', 'route'] },
        ],
        'business.sendRequested': { guard: 'isTemplate', actions: ['recordSend', { type: 'sendMessage', params: sendParams }] },
        'idle.elapsed': { target: 'closed', actions: ['route', { type: 'markClosed', params: { reason: 'idle' } }] },
      },
    },
    closed: { type: 'final' },
  },
});

/** The states the product names, in the order a conversation usually meets them; for diagrams and analysts. */
export const conversationStates = ['inbound', 'openSession', 'handedToAgent', 'expiredNeedsTemplate', 'closed'] as const;

/** Every event the machine handles (`broker.accepted` is only still sent by runs from before it was dropped). */
export const conversationEventTypes = [
  'customer.messageReceived',
  'business.sendRequested',
  'broker.rejected',
  'window.expired',
  'idle.elapsed',
  'conversation.closeRequested',
  'settings.applied',
  'bot.replied',
  'bot.handOffRequested',
  'bot.failed',
  'sip.answered',
  'sip.busy',
  'sip.failed',
  'routing.retryDue',
  'agent.released',
  'agent.transferRequested',
] as const satisfies readonly ConversationEvent['type'][];
