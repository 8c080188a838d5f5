import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { initialTransition, transition } from 'xstate';
import type { ConversationActivities } from '../activities/activities.types';
import { toEffects } from '../machines/conversation.effects';
import { conversationMachine } from '../machines/conversation.machine';
import { refusalFor, toConversationStatus, type ConversationSnapshot } from '../machines/conversation.status';
import { timelineRecordOf, timelineStartOf } from '../machines/conversation.timeline';
import type { ConversationEvent, FetchMediaEffect, SendMessageEffect, TimerId } from '../machines/conversation.types';
import {
  brokerFailureSignal,
  closeConversationUpdate,
  conversationStatusQuery,
  customerMessageSignal,
  sendMessageUpdate,
  type CarriedState,
  type ConversationOutcome,
  type ConversationWorkflowInput,
  type InboundMessage,
} from './conversation.messages';
import { TIMELINE_SINK, type ConversationSinks } from './conversation.sinks';
import { PacedSender } from './paced-sender';
import { RecentIds } from './recent-ids';

const sendOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  // Rate limits and broker outages are retried with backoff; after a day a session message is moot anyway.
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
const broker = proxyActivities<Pick<ConversationActivities, 'sendMessage'>>(sendOptions);
/** Sends go through the business number's rate-limited lane, paced per customer (see PacedSender). */
const PACED_SEND_LANES = 'paced-send-lanes';

const media = proxyActivities<Pick<ConversationActivities, 'fetchInboundMedia'>>({
  startToCloseTimeout: '1 minute',
  // The broker's media URL lasts about 5 minutes and the id 7 days: retry briefly, then record the loss.
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const store = proxyLocalActivities<Pick<ConversationActivities, 'recordConversation' | 'markSendFailed' | 'markMediaFailed' | 'conversationSettings'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

// Sink calls create no commands: running conversations replay unchanged with or without them.
const timeline = proxySinks<ConversationSinks>()[TIMELINE_SINK];

const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
const timerEvents: Record<TimerId, 'window.expired' | 'idle.elapsed'> = { window: 'window.expired', idle: 'idle.elapsed' };

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
  const recentInbound = new RecentIds(carried?.recentInboundIds);
  const recentSends = new RecentIds(carried?.recentSendIds);
  const generation = carried?.generation ?? Date.now();
  let revision = carried?.revision ?? 0;
  let handledInbound: string[] = [];
  let dirty = carried === undefined;
  const afterClose: InboundMessage[] = [];
  // Customer messages wait here for the settings read that precedes them; runs from before it dispatch at once.
  const readsSettings = patched('settings-read-through');
  const inbox: InboundMessage[] = [];
  timeline.started(timelineStartOf(snapshot, generation, carried !== undefined, Date.now()));
  const paced = new PacedSender(sendOptions, carried?.lastSentAt);

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

  // One durable timer for the earliest due time; re-armed only when that time changes.
  let armed: { due: number; scope: CancellationScope } | undefined;
  let timerFired = false;
  function armTimer(): void {
    const dues = Object.values(timers);
    const due = dues.length === 0 ? undefined : Math.min(...dues);
    if (armed?.due === due) return;
    armed?.scope.cancel();
    armed = undefined;
    if (due === undefined) return;
    const scope = new CancellationScope();
    armed = { due, scope };
    scope.run(() => sleep(Math.max(due - Date.now(), 1))).then(
      () => {
        if (armed?.scope === scope) timerFired = true;
      },
      (err: unknown) => {
        if (!isCancellation(err)) throw err;
      },
    );
  }

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
        const refusal = refusalFor(snapshot, request.message, Date.now());
        if (refusal) throw ApplicationFailure.create({ type: refusal, message: refusal, nonRetryable: true });
      },
    },
  );
  setHandler(closeConversationUpdate, (request) => {
    if (snapshot.status !== 'done') dispatch({ type: 'conversation.closeRequested', by: request.sender, at: Date.now() });
    return toConversationStatus(snapshot, Date.now());
  });

  for (const message of input.pendingInbound ?? []) receive(message);
  armTimer();

  const maxHistoryEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents;
  // Sends and image fetches run beside the main loop, each in order, so a broker outage never holds up
  // recording the customer's messages.
  const sender = drainInOrder(outbox, send);
  const fetcher = drainInOrder(mediaQueue, fetchImage);
  const idle = () => outbox.length === 0 && mediaQueue.length === 0 && !sender.busy && !fetcher.busy;
  const isFinished = () => snapshot.status === 'done' && idle() && inbox.length === 0;

  for (;;) {
    await condition(() => timerFired || dirty || inbox.length > 0 || isFinished() || shouldContinueAsNew());
    if (inbox.length > 0) await takeInbox();
    if (timerFired) fireDueTimers();
    if (dirty) await project();
    if (isFinished()) break;
    if (shouldContinueAsNew()) {
      await condition(() => allHandlersFinished() && !sender.busy && !fetcher.busy);
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
    timerFired = false;
    armed = undefined;
    const now = Date.now();
    for (const [timerId, due] of Object.entries(timers) as [TimerId, number][]) {
      if (due > now) continue;
      delete timers[timerId];
      dispatch({ type: timerEvents[timerId], at: now });
    }
    armTimer();
  }

  /** Works through `queue` strictly one item at a time, in order; the item leaves the queue only when done. */
  function drainInOrder<T>(queue: T[], work: (item: T) => Promise<void>): { busy: boolean } {
    const state = { busy: false };
    void (async () => {
      for (;;) {
        await condition(() => queue.length > 0);
        state.busy = true;
        await work(queue[0]!);
        queue.shift();
        state.busy = false;
      }
    })();
    return state;
  }

  /** One inbound image; the activity is idempotent on the message id and records what it found on the message. */
  async function fetchImage(item: FetchMediaEffect): Promise<void> {
    try {
      await media.fetchInboundMedia(item);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      await store.markMediaFailed({ messageId: item.messageId, problem: 'fetch_failed', details: err.message });
    }
  }

  /** One send; the activity is idempotent on the message id. */
  async function send(item: SendMessageEffect): Promise<void> {
    try {
      // Runs started before lanes existed replay their sends on the conversation queue, unpaced.
      const outcome = await (patched(PACED_SEND_LANES) ? paced.send(item) : broker.sendMessage(item));
      if (outcome.outcome === 'rejected') {
        dispatch({ type: 'broker.rejected', messageId: item.messageId, code: outcome.code, title: outcome.title, at: Date.now() });
      } else if (!patched('skip-broker-accepted-dispatch')) {
        // Runs started before this change dispatched the acceptance, which the machine ignores; replaying them
        // must repeat the projection write that followed.
        dispatch({ type: 'broker.accepted', messageId: item.messageId, wamid: outcome.wamid, at: Date.now() });
      }
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // Retries ran out (a day of broker outage): record why, and keep the conversation going.
      await store.markSendFailed({ messageId: item.messageId, code: 0, title: 'send_timed_out', details: err.message });
    }
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
      recentInboundIds: recentInbound.toJSON(),
      recentSendIds: recentSends.toJSON(),
      generation,
      revision,
      ...(paced.lastSentAt === undefined ? {} : { lastSentAt: paced.lastSentAt }),
    };
  }
}
