import { and, assign, enqueueActions, or, setup, stateIn } from 'xstate';
import { autoReplyPlan, idleTimer, idleTimerAfterOpening, sendParams, sessionRecords, windowTimer } from './conversation.session';
import { idleRouting, openingAt, retryDueAt, routingActions, routingGuards, type Plan } from './conversation.routing';
import { isWindowClosedByRefusal, isWindowOpenAt, mayGoOutsideWindow, windowEndOf } from './conversation.rules';
import type {
  AskBotEffect,
  CancelTimerEffect,
  ConversationContext,
  ConversationEvent,
  ConversationInput,
  FetchMediaEffect,
  ReleaseAgentEffect,
  RouteToAgentEffect,
  SendMessageEffect,
  StartTimerEffect,
} from './conversation.types';

type EventOf<T extends ConversationEvent['type']> = Extract<ConversationEvent, { type: T }>;
type Args = { context: ConversationContext; event: ConversationEvent };

/** The `enqueue` of an `enqueueActions` action, as far as {@link carryOut} uses it. */
type Enqueue = ((action: never) => void) & { assign: (patch: never) => void };

/** Carries out a pure {@link Plan} inside an `enqueueActions` action: its effects in order, then its context patch. */
function carryOut(plan: Plan, enqueue: Enqueue): void {
  // setup() cannot type a reference to an action declared beside this one; the effect tests pin the shapes.
  for (const effect of plan.effects) enqueue(effect as never);
  if (Object.keys(plan.patch).length > 0) enqueue.assign(plan.patch as never);
}

const guard = (test: (context: ConversationContext, event: ConversationEvent) => boolean) => ({ context, event }: Args) => test(context, event);
const retryTimer = ({ context, event }: Args): StartTimerEffect => ({ timerId: 'routeRetry', at: retryDueAt(context, event) });
const openingTimer = ({ event }: Args): StartTimerEffect => ({ timerId: 'opening', at: openingAt(event) });

/**
 * The conversation, as WhatsApp's rules see it: two parallel regions while it is `active`, then `closed`.
 * - `session`, the customer service window: `inbound` (nothing handled yet) → `openSession` (any message may go) ⇄
 *   `expiredNeedsTemplate` (templates only; closes after the idle period).
 * - `routing`, the way to a person: `idle` → `bot` → `queued` (an INVITE out) ⇄ `retrying` (a busy answer, the
 *   retry timer set) → `assigned` (an agent holds the conversation: the one place that says so, see `holderOf`).
 *
 * Pure: time and ids arrive inside events; timers, sends, bot questions and SIP attempts leave as effects (named
 * actions with empty bodies) that the workflow turns into Temporal timers and activities. Advance it only with
 * xstate's `initialTransition` / `transition`. Snapshots are carried across continue-as-new with a schema version
 * (conversation.snapshot.ts): a change to the states or the context shape bumps it and migrates older snapshots.
 */
export const conversationMachine = setup({
  types: {} as { context: ConversationContext; events: ConversationEvent; input: ConversationInput },
  actions: {
    // Effects: empty bodies; the workflow carries them out.
    sendMessage: (_, _params: SendMessageEffect) => {},
    startTimer: (_, _params: StartTimerEffect) => {},
    cancelTimer: (_, _params: CancelTimerEffect) => {},
    fetchMedia: (_, _params: FetchMediaEffect) => {},
    askBot: (_, _params: AskBotEffect) => {},
    routeToAgent: (_, _params: RouteToAgentEffect) => {},
    releaseAgent: (_, _params: ReleaseAgentEffect) => {},
    /** Every customer image is fetched, whatever the state: the broker's URL expires within minutes. */
    fetchImage: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'customer.messageReceived' || !event.brokerMediaId) return;
      const params: FetchMediaEffect = { messageId: event.messageId, businessNumberId: context.businessNumberId, brokerMediaId: event.brokerMediaId };
      enqueue({ type: 'fetchMedia', params } as never);
    }),
    autoReply: enqueueActions(({ context, event, enqueue }) => carryOut(autoReplyPlan(context, event), enqueue)),
    applySettings: assign(({ context, event }) => {
      const applied = event as EventOf<'settings.applied'>;
      return { settings: applied.settings, idleCloseAfterMs: applied.settings.idleCloseAfterMs ?? context.idleCloseAfterMs };
    }),
    // The session region's record of each customer message, call and send (conversation.session.ts).
    recordInbound: assign(({ context, event }) => sessionRecords.recordInbound(context, event as EventOf<'customer.messageReceived'>)),
    countInbound: assign(({ context, event }) => sessionRecords.countInbound(context, event as EventOf<'customer.messageReceived'>)),
    recordCall: assign(({ context, event }) => sessionRecords.recordCall(context, event as EventOf<'customer.called'>)),
    countCall: assign(({ context, event }) => sessionRecords.countCall(context, event as EventOf<'customer.called'>)),
    recordSend: assign(({ context, event }) => sessionRecords.recordSend(context, event as EventOf<'business.sendRequested'>)),
    /** WhatsApp refused a session message (131047): its word beats our timer; the window is closed from now. */
    closeWindowEarly: assign({ windowClosesAt: ({ event }) => event.at }),
    markClosed: assign({ closedReason: (_, params: { reason: 'idle' | 'requested' }) => params.reason }),
    // The routing region's actions (conversation.routing.ts).
    askBotAbout: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.askBotAbout(context, event), enqueue)),
    relayBotReplies: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.relayBotReplies(context, event), enqueue)),
    awaitOpening: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.awaitOpening(context, event), enqueue)),
    forgetOpening: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.forgetOpening(context, event), enqueue)),
    beginRouting: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.beginRouting(context, event), enqueue)),
    inviteAgent: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.inviteAgent(context, event), enqueue)),
    countBusyAnswer: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.countBusyAnswer(context, event), enqueue)),
    inviteFallbackQueue: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.inviteFallbackQueue(context, event), enqueue)),
    giveFallbackReply: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.giveFallbackReply(context, event), enqueue)),
    assignAgent: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.assignAgent(context, event), enqueue)),
    releaseAssignedAgent: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.releaseAssignedAgent(context, event), enqueue)),
    beginTransfer: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.beginTransfer(context, event), enqueue)),
    hangUpStrayAnswer: enqueueActions(({ context, event, enqueue }) => carryOut(routingActions.hangUpStrayAnswer(context, event), enqueue)),
  },
  guards: {
    // A template, or Direct Send content (conversation.rules.ts): what may go out whatever the window.
    isTemplate: ({ event }) => event.type === 'business.sendRequested' && mayGoOutsideWindow(event.message),
    isWindowOpen: ({ context, event }) => isWindowOpenAt(context, event.at),
    isWindowDue: ({ context, event }) => !isWindowOpenAt(context, event.at),
    // A customer message or call whose 24 h have not passed yet.
    opensWindow: ({ event }) => (windowEndOf(event) ?? 0) > event.at,
    isWindowClosedByBroker: ({ context, event }) => event.type === 'broker.rejected' && isWindowClosedByRefusal(context, event),
    // The routing region's guards (conversation.routing.ts).
    isBotAnswering: guard(routingGuards.isBotAnswering),
    isForAgents: guard(routingGuards.isForAgents),
    waitsForOpening: guard(routingGuards.waitsForOpening),
    holdsIdleForOpening: guard(routingGuards.holdsIdleForOpening),
    hasAgents: guard(routingGuards.hasAgents),
    hasSipConnector: guard(routingGuards.hasSipConnector),
    isCurrentAttempt: guard(routingGuards.isCurrentAttempt),
    hasRetrySettings: guard(routingGuards.hasRetrySettings),
    isLastAttempt: guard(routingGuards.isLastAttempt),
    hasFallbackQueue: guard(routingGuards.hasFallbackQueue),
    isAssignedCall: guard(routingGuards.isAssignedCall),
  },
}).createMachine({
  id: 'conversation',
  initial: 'active',
  context: ({ input }) => ({
    ...input,
    windowClosesAt: null,
    lastInboundAt: null,
    firstInboundAt: null,
    firstResponseAt: null,
    inboundCount: 0,
    outboundCount: 0,
    closedReason: null,
    recentMessages: [],
    welcomed: false,
    routing: idleRouting,
  }),
  states: {
    active: {
      type: 'parallel',
      on: {
        // Leaving `active` leaves both regions: an agent holding the conversation is released on the way out.
        'conversation.closeRequested': { target: 'closed', actions: { type: 'markClosed', params: { reason: 'requested' } } },
        // A newly published configuration takes effect at the conversation's next event, whatever its state.
        'settings.applied': { actions: 'applySettings' },
      },
      states: {
        session: {
          initial: 'inbound',
          states: {
            /** Nothing handled yet: the first event decides whether the customer or the business opened it. */
            inbound: {
              on: {
                'customer.messageReceived': [
                  { guard: 'opensWindow', target: 'openSession', actions: ['autoReply', 'recordInbound', 'fetchImage', { type: 'startTimer', params: windowTimer }] },
                  // Delivered so late that its window has already passed: kept, but only a template may answer.
                  { target: 'expiredNeedsTemplate', actions: ['countInbound', 'fetchImage'] },
                ],
                // A call opens the window without routing anything or answering (Meta's Calling API pricing page).
                'customer.called': [
                  { guard: 'opensWindow', target: 'openSession', actions: ['recordCall', { type: 'startTimer', params: windowTimer }] },
                  { target: 'expiredNeedsTemplate', actions: 'countCall' },
                ],
                // A number that never wrote can only be reached with a template; the window opens when they reply.
                'business.sendRequested': { guard: 'isTemplate', target: 'expiredNeedsTemplate', actions: ['recordSend', { type: 'sendMessage', params: sendParams }] },
              },
            },
            /** The window is open: any message may be sent (by the agent holding it, when one does). */
            openSession: {
              on: {
                // Every customer message may move the deadline (recordInbound keeps the later one).
                'customer.messageReceived': { actions: ['autoReply', 'recordInbound', 'fetchImage', { type: 'startTimer', params: windowTimer }] },
                'customer.called': { actions: ['recordCall', { type: 'startTimer', params: windowTimer }] },
                'business.sendRequested': { guard: or(['isTemplate', 'isWindowOpen']), actions: ['recordSend', { type: 'sendMessage', params: sendParams }] },
                'window.expired': { guard: 'isWindowDue', target: 'expiredNeedsTemplate' },
                'broker.rejected': { guard: 'isWindowClosedByBroker', target: 'expiredNeedsTemplate', actions: 'closeWindowEarly' },
              },
            },
            /** No open window: only templates may go out. Ends if nobody writes for the idle period (`idleTimer`: from the opening if awaited). */
            expiredNeedsTemplate: {
              entry: [{ type: 'cancelTimer', params: { timerId: 'window' } }, { type: 'startTimer', params: idleTimer }],
              exit: { type: 'cancelTimer', params: { timerId: 'idle' } },
              on: {
                'customer.messageReceived': [
                  { guard: 'opensWindow', target: 'openSession', actions: ['autoReply', 'recordInbound', 'fetchImage', { type: 'startTimer', params: windowTimer }] },
                  // Too late to reopen the window, but routing now waits for the opening: the idle close waits for it too.
                  { guard: and([stateIn('#conversation.active.routing.idle'), 'holdsIdleForOpening']), actions: ['countInbound', 'fetchImage', { type: 'startTimer', params: idleTimerAfterOpening }] },
                  { actions: ['countInbound', 'fetchImage'] },
                ],
                'customer.called': [
                  { guard: 'opensWindow', target: 'openSession', actions: ['recordCall', { type: 'startTimer', params: windowTimer }] },
                  { actions: 'countCall' },
                ],
                'business.sendRequested': { guard: 'isTemplate', actions: ['recordSend', { type: 'sendMessage', params: sendParams }] },
                'idle.elapsed': { target: '#conversation.closed', actions: { type: 'markClosed', params: { reason: 'idle' } } },
              },
            },
          },
        },
        // Declared after `session`: in one event its actions run after the session's (a welcome goes before a bot's or
        // queue reply, and routing's replies see the window the message just moved). Its guards run before either, so
        // they compute the window the message leaves (`isBotAnswering`).
        routing: {
          initial: 'idle',
          // Whatever the window does. An answer to an attempt nobody waits for any more holds an agent for nothing.
          on: { 'sip.answered': { actions: 'hangUpStrayAnswer' } },
          states: {
            /**
             * Nobody is being sought: integrators answer, or the conversation waits for the customer, or for the
             * business to open (the `opening` timer: a customer who wrote while it was closed is routed then; a message
             * in the meantime changes nothing, one in opening hours routes at once and the timer is dropped on the way out).
             */
            idle: {
              exit: [{ type: 'cancelTimer', params: { timerId: 'opening' } }, 'forgetOpening'],
              on: {
                'customer.messageReceived': [
                  { guard: 'isBotAnswering', target: 'bot', actions: 'askBotAbout' },
                  { guard: 'isForAgents', target: 'queued', actions: ['beginRouting', 'inviteAgent'] },
                  { guard: 'waitsForOpening', actions: ['beginRouting', { type: 'startTimer', params: openingTimer }, 'awaitOpening'] },
                ],
                'business.opened': { guard: 'hasAgents', target: 'queued', actions: 'inviteAgent' },
              },
            },
            /** The chatbot answers the customer until it hands off or fails. */
            bot: {
              on: {
                'customer.messageReceived': { guard: 'isBotAnswering', actions: 'askBotAbout' },
                'bot.replied': { actions: 'relayBotReplies' },
                'bot.handOffRequested': [
                  { guard: 'hasSipConnector', target: 'queued', actions: ['beginRouting', 'inviteAgent'] },
                  { target: 'idle', actions: ['beginRouting', 'giveFallbackReply'] },
                ],
                'bot.failed': [
                  { guard: 'hasSipConnector', target: 'queued', actions: ['beginRouting', 'inviteAgent'] },
                  { target: 'idle', actions: ['beginRouting', 'giveFallbackReply'] },
                ],
              },
            },
            /** An INVITE is out to the contact centre: its answer decides. */
            queued: {
              on: {
                'sip.answered': { guard: 'isCurrentAttempt', target: 'assigned', actions: 'assignAgent' },
                'sip.busy': [
                  { guard: and(['isCurrentAttempt', 'hasRetrySettings', 'isLastAttempt', 'hasFallbackQueue']), actions: ['countBusyAnswer', 'inviteFallbackQueue'] },
                  { guard: and(['isCurrentAttempt', 'hasRetrySettings', 'isLastAttempt']), target: 'idle', actions: ['countBusyAnswer', 'giveFallbackReply'] },
                  { guard: and(['isCurrentAttempt', 'hasRetrySettings']), target: 'retrying', actions: 'countBusyAnswer' },
                ],
                'sip.failed': [
                  { guard: and(['isCurrentAttempt', 'hasFallbackQueue']), actions: 'inviteFallbackQueue' },
                  { guard: 'isCurrentAttempt', target: 'idle', actions: 'giveFallbackReply' },
                ],
              },
            },
            /**
             * Busy (or unanswered): the next attempt waits for the retry timer. Not cancelled if the conversation
             * closes meanwhile: the run ends anyway, and runs already under way never cancelled it.
             */
            retrying: {
              entry: { type: 'startTimer', params: retryTimer },
              on: {
                'routing.retryDue': [
                  { guard: 'hasSipConnector', target: 'queued', actions: 'inviteAgent' },
                  { target: 'idle', actions: 'giveFallbackReply' },
                ],
              },
            },
            /** An agent holds the conversation (over SIP) until the contact centre hangs up or the agent transfers it. */
            assigned: {
              exit: 'releaseAssignedAgent',
              on: {
                'agent.released': { guard: 'isAssignedCall', target: 'idle' },
                'agent.transferRequested': [
                  { guard: 'hasSipConnector', target: 'queued', actions: ['beginTransfer', 'inviteAgent'] },
                  { target: 'idle', actions: ['beginTransfer', 'giveFallbackReply'] },
                ],
              },
            },
          },
        },
      },
    },
    closed: { type: 'final' },
  },
});

export { conversationEventTypes, conversationStates, routingStates, sessionStates } from './conversation.names';
