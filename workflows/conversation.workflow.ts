import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { initialTransition, transition } from 'xstate';
import type { ConversationActivities } from '../activities/activities.types';
import { toEffects } from '../machines/conversation.effects';
import { conversationMachine } from '../machines/conversation.machine';
import { mayAgentWrite, refusalFor, toConversationStatus, type ConversationSnapshot } from '../machines/conversation.status';
import { timelineRecordOf, timelineStartOf } from '../machines/conversation.timeline';
import type { ConversationEvent, FetchMediaEffect, HandOffEffect, SendMessageEffect, Sender, TimerId } from '../machines/conversation.types';
import {
  agentReleasedSignal,
  brokerFailureSignal,
  closeConversationUpdate,
  transferConversationUpdate,
  conversationStatusQuery,
  customerMessageSignal,
  sendMessageUpdate,
  type CarriedState,
  type ConversationOutcome,
  type ConversationWorkflowInput,
  type InboundMessage,
} from './conversation.messages';
import { TIMELINE_SINK, type ConversationSinks } from './conversation.sinks';
import { ConversationOutbound } from './conversation.outbound';
import { RecentIds } from './support/recent-ids';
import { carryOutHandOff } from './conversation.handoff';
import { EarliestTimer, drainInOrder } from './support/workflow-helpers';
import { LocalActivityLine } from './support/local-activity-line';

// Called only through the conversation's LocalActivityLine (`through`): one local activity in flight at a time.
const storeActivities = proxyLocalActivities<Pick<ConversationActivities, 'recordConversation' | 'conversationSettings'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

// Sink calls create no commands: running conversations replay unchanged with or without them.
const timeline = proxySinks<ConversationSinks>()[TIMELINE_SINK];

const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
/** A business refusal of an Update: the caller is told why, nothing is recorded. */
const refusal = (type: string) => ApplicationFailure.create({ type, message: type, nonRetryable: true });
const timerEvents: Record<TimerId, 'window.expired' | 'idle.elapsed' | 'routing.retryDue'> = {
  window: 'window.expired',
  idle: 'idle.elapsed',
  routeRetry: 'routing.retryDue',
};

/**
 * One customer conversation on one business number. Owns the machine snapshot, its timers and an ordered outbox;
 * handlers only transition the machine, the main loop carries the effects out one at a time.
 */
export async function conversationWorkflow(input: ConversationWorkflowInput): Promise<ConversationOutcome> {
  const carried = input.carried;
  let snapshot: ConversationSnapshot = carried
    ? conversationMachine.resolveState(carried.snapshot as Parameters<typeof conversationMachine.resolveState>[0])
    : initialTransition(conversationMachine, input.conversation)[0];
  const timers: Partial<Record<TimerId, number>> = { ...carried?.timers };
  const outbox: SendMessageEffect[] = [...(carried?.outbox ?? [])];
  const mediaQueue: FetchMediaEffect[] = [...(carried?.mediaQueue ?? [])];
  const handOffQueue: HandOffEffect[] = [...(carried?.handOffQueue ?? [])];
  const recentInbound = new RecentIds(carried?.recentInboundIds);
  const recentSends = new RecentIds(carried?.recentSendIds);
  const generation = carried?.generation ?? Date.now();
  let revision = carried?.revision ?? 0;
  let handledInbound: string[] = [];
  let dirty = carried === undefined;
  const afterClose: InboundMessage[] = [];
  // Customer messages wait here for the settings read that precedes them; runs from before it dispatch at once.
  const readsSettings = patched('settings-read-through');
  const localActivities = new LocalActivityLine(patched('local-activities-one-at-a-time'));
  const store = localActivities.through(storeActivities);
  const inbox: InboundMessage[] = [];
  timeline.started(timelineStartOf(snapshot, generation, carried !== undefined, Date.now()));

  function dispatch(event: ConversationEvent): void {
    const [next, actions] = transition(conversationMachine, snapshot, event);
    timeline.transitioned(timelineRecordOf(event, snapshot, next));
    snapshot = next;
    revision += 1;
    dirty = true;
    for (const effect of toEffects(actions)) {
      switch (effect.type) {
        case 'startTimer':
          timers[effect.params.timerId] = effect.params.at;
          break;
        case 'cancelTimer':
          delete timers[effect.params.timerId];
          break;
        case 'sendMessage':
          outbox.push(effect.params);
          break;
        case 'fetchMedia':
          mediaQueue.push(effect.params);
          break;
        case 'askBot':
        case 'routeToAgent':
        case 'releaseAgent':
          handOffQueue.push(effect);
          break;
      }
    }
    armTimer();
  }

  function receive(message: InboundMessage): void {
    // Redeliveries (Meta retries webhooks for days) take effect once.
    if (!recentInbound.add(message.messageId)) return;
    if (snapshot.status === 'done') {
      afterClose.push(message);
      return;
    }
    if (readsSettings) {
      inbox.push(message);
      return;
    }
    handledInbound.push(message.messageId);
    dispatch({ type: 'customer.messageReceived', ...message, at: Date.now() });
  }

  /**
   * Reads the published configuration (a local activity, so the version used is in the history), applies it if it
   * changed, then hands the waiting customer messages to the machine.
   */
  async function takeInbox(): Promise<void> {
    const first = inbox[0]!;
    const read = await store.conversationSettings({
      businessNumberId: input.conversation.businessNumberId,
      customerKey: input.conversation.customer.key,
      messageId: first.messageId,
      at: Date.now(),
    });
    if (JSON.stringify(read.settings) !== JSON.stringify(snapshot.context.settings)) {
      dispatch({ type: 'settings.applied', settings: read.settings, at: Date.now() });
    }
    for (const message of inbox.splice(0)) {
      // Closed while the read ran: the message starts the next conversation instead.
      if (snapshot.status === 'done') {
        afterClose.push(message);
        continue;
      }
      handledInbound.push(message.messageId);
      dispatch({
        type: 'customer.messageReceived',
        ...message,
        businessOpen: read.businessOpen,
        legacyReplyDue: message === first && read.legacyReplyDue,
        at: Date.now(),
      });
    }
  }

  const timer = new EarliestTimer();
  const armTimer = () => timer.arm(Object.values(timers));

  setHandler(customerMessageSignal, receive);
  setHandler(brokerFailureSignal, (failure) => dispatch({ type: 'broker.rejected', ...failure, at: Date.now() }));
  setHandler(conversationStatusQuery, () => toConversationStatus(snapshot, Date.now()));
  setHandler(
    sendMessageUpdate,
    (request) => {
      // A repeated id (a retry after continue-as-new, where Temporal's own Update dedupe no longer reaches) is answered
      // like the first time, and queues nothing.
      if (recentSends.add(request.messageId)) dispatch({ type: 'business.sendRequested', ...request, at: Date.now() });
      return { messageId: request.messageId, conversationId: input.conversation.conversationId, status: 'queued' };
    },
    {
      // Synchronous and read-only: a refused send is never written to the history.
      validator: (request) => {
        if (recentSends.has(request.messageId)) return;
        const refusal = refusalFor(snapshot, request.message, Date.now(), request.sender);
        if (refusal) throw ApplicationFailure.create({ type: refusal, message: refusal, nonRetryable: true });
      },
    },
  );
  setHandler(
    closeConversationUpdate,
    (request) => {
      if (snapshot.status !== 'done') dispatch({ type: 'conversation.closeRequested', by: request.sender, at: Date.now() });
      return toConversationStatus(snapshot, Date.now());
    },
    { validator: (request) => refuseUnlessAgentMayWrite(request.sender) },
  );
  setHandler(agentReleasedSignal, ({ callId }) => {
    if (snapshot.status !== 'done') dispatch({ type: 'agent.released', callId, at: Date.now() });
  });
  setHandler(
    transferConversationUpdate,
    (request) => {
      dispatch({ type: 'agent.transferRequested', by: request.sender, to: request.to, at: Date.now() });
      return toConversationStatus(snapshot, Date.now());
    },
    {
      validator: (request) => {
        if (snapshot.status === 'done') throw refusal('conversation_closed');
        refuseUnlessAgentMayWrite(request.sender);
        if (snapshot.context.routing?.phase !== 'assigned') throw refusal('not_transferable');
      },
    },
  );

  /** Only the agent holding a conversation writes in it, transfers it or closes it (with routing on). */
  function refuseUnlessAgentMayWrite(sender: Sender): void {
    if (sender.kind === 'agent' && snapshot.status !== 'done' && !mayAgentWrite(snapshot.context, sender.id)) throw refusal('not_assigned');
  }

  for (const message of input.pendingInbound ?? []) receive(message);
  armTimer();

  const maxHistoryEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents;
  // Sends and image fetches run beside the main loop, each in order, so a broker outage never holds up
  // recording the customer's messages.
  const outbound = new ConversationOutbound(dispatch, carried?.lastSentAt, localActivities);
  const sender = drainInOrder(outbox, (item) => outbound.send(item));
  const fetcher = drainInOrder(mediaQueue, (item) => outbound.fetchImage(item));
  const handOff = drainInOrder(handOffQueue, (effect) => carryOutHandOff(effect, { dispatch, isClosed: () => snapshot.status === 'done', generation }));
  const drainers = [sender, fetcher, handOff];
  const idle = () => outbox.length === 0 && mediaQueue.length === 0 && handOffQueue.length === 0 && drainers.every((d) => !d.busy);
  const isFinished = () => snapshot.status === 'done' && idle() && inbox.length === 0;

  for (;;) {
    await condition(() => timer.fired || dirty || inbox.length > 0 || isFinished() || shouldContinueAsNew());
    if (inbox.length > 0) await takeInbox();
    if (timer.fired) fireDueTimers();
    if (dirty) await project();
    if (isFinished()) break;
    if (shouldContinueAsNew()) {
      await condition(() => allHandlersFinished() && drainers.every((d) => !d.busy));
      if (!dirty && inbox.length === 0) await continueAsNew<typeof conversationWorkflow>({ ...input, carried: carry(), pendingInbound: [] });
    }
  }

  await condition(allHandlersFinished);
  if (afterClose.length > 0) {
    // The customer wrote again as the conversation closed: their messages start the next one, none is lost.
    await continueAsNew<typeof conversationWorkflow>({
      conversation: input.conversation,
      pendingInbound: afterClose,
      maxHistoryEvents: input.maxHistoryEvents,
    });
  }
  return { conversationId: input.conversation.conversationId, closedReason: snapshot.context.closedReason, revision };

  function fireDueTimers(): void {
    timer.take();
    const now = Date.now();
    for (const [timerId, due] of Object.entries(timers) as [TimerId, number][]) {
      if (due > now) continue;
      delete timers[timerId];
      dispatch({ type: timerEvents[timerId], at: now });
    }
    armTimer();
  }

  async function project(): Promise<void> {
    const inboundIds = handledInbound;
    handledInbound = [];
    dirty = false;
    await store.recordConversation({
      status: toConversationStatus(snapshot, Date.now()),
      generation,
      revision,
      handledInboundIds: inboundIds,
    });
  }

  function carry(): CarriedState {
    return {
      snapshot: conversationMachine.getPersistedSnapshot(snapshot),
      timers,
      outbox,
      mediaQueue,
      ...(handOffQueue.length > 0 ? { handOffQueue } : {}),
      recentInboundIds: recentInbound.toJSON(),
      recentSendIds: recentSends.toJSON(),
      generation,
      revision,
      ...(outbound.lastSentAt === undefined ? {} : { lastSentAt: outbound.lastSentAt }),
    };
  }
}
