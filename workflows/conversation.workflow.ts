import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { initialTransition, transition } from 'xstate';
import type { ConversationActivities } from '../activities/activities.types';
import { toEffects } from '../machines/conversation.effects';
import { conversationMachine } from '../machines/conversation.machine';
import { refusalFor, toConversationStatus, type ConversationSnapshot } from '../machines/conversation.status';
import type { ConversationEvent, SendMessageEffect, TimerId } from '../machines/conversation.types';
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
import { RecentIds } from './recent-ids';

const broker = proxyActivities<Pick<ConversationActivities, 'sendMessage'>>({
  startToCloseTimeout: '30 seconds',
  // Rate limits and broker outages are retried with backoff; after a day a session message is moot anyway.
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const store = proxyLocalActivities<Pick<ConversationActivities, 'recordConversation' | 'markSendFailed'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

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
  const recentInbound = new RecentIds(carried?.recentInboundIds);
  const recentSends = new RecentIds(carried?.recentSendIds);
  const generation = carried?.generation ?? Date.now();
  let revision = carried?.revision ?? 0;
  let handledInbound: string[] = [];
  let dirty = carried === undefined;
  const afterClose: InboundMessage[] = [];

  function dispatch(event: ConversationEvent): void {
    const [next, actions] = transition(conversationMachine, snapshot, event);
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
    handledInbound.push(message.messageId);
    dispatch({ type: 'customer.messageReceived', ...message, at: Date.now() });
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
  const isFinished = () => snapshot.status === 'done' && outbox.length === 0 && !sending;

  // Sends run beside the main loop so a broker outage never holds up recording the customer's messages.
  let sending = false;
  void runSender();

  for (;;) {
    await condition(() => timerFired || dirty || isFinished() || shouldContinueAsNew());
    if (timerFired) fireDueTimers();
    if (dirty) await project();
    if (isFinished()) break;
    if (shouldContinueAsNew()) {
      await condition(() => allHandlersFinished() && !sending);
      if (!dirty) await continueAsNew<typeof conversationWorkflow>({ ...input, carried: carry(), pendingInbound: [] });
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

  /** Sends strictly one at a time, in acceptance order; each activity is idempotent on the message id. */
  async function runSender(): Promise<void> {
    for (;;) {
      await condition(() => outbox.length > 0);
      const send = outbox[0]!;
      sending = true;
      try {
        const outcome = await broker.sendMessage(send);
        dispatch(
          outcome.outcome === 'accepted'
            ? { type: 'broker.accepted', messageId: send.messageId, wamid: outcome.wamid, at: Date.now() }
            : { type: 'broker.rejected', messageId: send.messageId, code: outcome.code, title: outcome.title, at: Date.now() },
        );
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // Retries ran out (a day of broker outage): record why, and keep the conversation going.
        await store.markSendFailed({ messageId: send.messageId, code: 0, title: 'send_timed_out', details: err.message });
      }
      outbox.shift();
      sending = false;
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
      recentInboundIds: recentInbound.toJSON(),
      recentSendIds: recentSends.toJSON(),
      generation,
      revision,
    };
  }
}
