import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  agentNoticeSignal,
  agentReleasedSignal,
  brokerFailureSignal,
  closeConversationUpdate,
  transferConversationUpdate,
  conversationStatusQuery,
  customerCalledSignal,
  customerMessageSignal,
  customerMessagesSignal,
  customerReactedSignal,
  sendMessageUpdate,
  type ConversationOutcome,
  type ConversationWorkflowInput,
} from './conversation.messages';
import { ConversationOutbound } from './conversation.outbound';
import { carryOutHandOff } from './conversation.handoff';
import { ConversationRuntime, refusal } from './conversation.runtime';
import { installReceiptHandlers } from './conversation.receipts';
import { drainInOrder } from './support/workflow-helpers';
import { holderOf } from '../machines/conversation.status';
import { mayGoOutsideWindow } from '../machines/conversation.rules';
import type { OutboundContent } from '../machines/conversation.types';

const DEFAULT_MAX_HISTORY_EVENTS = 10_000;

/**
 * One customer conversation on one business number. The runtime ({@link ConversationRuntime}) owns the machine
 * snapshot, its timers and queues; handlers only transition the machine, the main loop writes the read model and
 * fires timers, and four drainers carry the effects out, each in order (the fourth: chat lines for the agent's SIP
 * dialog in page mode).
 */
export async function conversationWorkflow(input: ConversationWorkflowInput): Promise<ConversationOutcome> {
  const rt = new ConversationRuntime(input);
  const dispatch = rt.dispatch.bind(rt);

  setHandler(customerMessageSignal, (message) => rt.receive(message));
  // A handler only: no command, so runs from before it replay unchanged.
  setHandler(customerMessagesSignal, (messages) => messages.forEach((message) => rt.receive(message)));
  // A new signal (a call opens the window): runs from before it never got one, so they replay unchanged.
  setHandler(customerCalledSignal, (call) => rt.called(call));
  // A new signal (a reaction reaches the agent's SIP chat): runs from before it never got one, so they replay unchanged.
  setHandler(customerReactedSignal, (reaction) => rt.reacted(reaction));
  setHandler(brokerFailureSignal, (failure) => dispatch({ type: 'broker.rejected', ...failure, at: Date.now() }));
  setHandler(conversationStatusQuery, () => rt.status());
  setHandler(
    sendMessageUpdate,
    (request) => {
      // A repeated id (a retry after continue-as-new, where Temporal's own Update dedupe no longer reaches) is answered
      // like the first time, and queues nothing.
      if (rt.recentSends.add(request.messageId)) dispatch({ type: 'business.sendRequested', ...request, at: Date.now() });
      return { messageId: request.messageId, conversationId: input.conversation.conversationId, status: 'queued' };
    },
    {
      // Synchronous and read-only: a refused send is never written to the history.
      validator: (request) => {
        if (!rt.recentSends.has(request.messageId)) rt.refuseSend(request.message, request.sender);
      },
    },
  );
  setHandler(
    closeConversationUpdate,
    (request) => {
      if (!rt.isDone) dispatch({ type: 'conversation.closeRequested', by: request.sender, at: Date.now() });
      return rt.status();
    },
    { validator: (request) => rt.refuseUnlessAgentMayWrite(request.sender) },
  );
  setHandler(agentNoticeSignal, (notice) => rt.chat.notice(notice));
  setHandler(agentReleasedSignal, ({ callId }) => {
    if (!rt.isDone) dispatch({ type: 'agent.released', callId, at: Date.now() });
  });
  setHandler(
    transferConversationUpdate,
    (request) => {
      dispatch({ type: 'agent.transferRequested', by: request.sender, to: request.to, at: Date.now() });
      return rt.status();
    },
    {
      validator: (request) => {
        if (rt.isDone) throw refusal('conversation_closed');
        rt.refuseUnlessAgentMayWrite(request.sender);
        if (holderOf(rt.snapshot) === null) throw refusal('not_transferable');
      },
    },
  );
  installReceiptHandlers({
    conversationId: input.conversation.conversationId,
    businessNumberId: input.conversation.businessNumberId,
    snapshot: () => rt.snapshot,
    refuseUnlessAgentMayWrite: (sender) => rt.refuseUnlessAgentMayWrite(sender),
  });

  for (const message of input.pendingInbound ?? []) rt.receive(message);
  for (const call of input.pendingCalls ?? []) rt.called(call);
  rt.armTimer();

  const maxHistoryEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents;
  // Sends and media fetches run beside the main loop, each in order, so a broker outage never holds up recording
  // the customer's messages.
  // Session content goes only while the window is open (Meta's 131047): its end as the machine holds it at the send's turn.
  const sendBy = (message: OutboundContent) => (mayGoOutsideWindow(message) ? undefined : (rt.snapshot.context.windowClosesAt ?? undefined));
  const outbound = new ConversationOutbound(dispatch, input.carried?.lastSentAt, rt.localActivities, sendBy);
  const sender = drainInOrder(rt.outbox, (item) => outbound.send(item));
  const fetcher = drainInOrder(rt.mediaQueue, (item) => outbound.fetchImage(item));
  const handOff = drainInOrder(rt.handOffQueue, (effect) =>
    carryOutHandOff(effect, { dispatch, isClosed: () => rt.isDone, generation: rt.generation, beforeRelease: (e) => rt.chat.beforeRelease(e) }),
  );
  // The chat lines for the agent's SIP dialog (page mode), one at a time, in order.
  const relay = drainInOrder(rt.chat.state.queue, (line) => rt.chat.relay(line));
  const drainers = [sender, fetcher, handOff, relay];
  const idle = () =>
    rt.outbox.length === 0 && rt.mediaQueue.length === 0 && rt.handOffQueue.length === 0 && rt.chat.state.queue.length === 0 && drainers.every((d) => !d.busy);
  const isFinished = () => rt.isDone && idle() && rt.inbox.length === 0;

  for (;;) {
    await condition(() => rt.timer.fired || rt.dirty || rt.inbox.length > 0 || isFinished() || shouldContinueAsNew());
    if (rt.inbox.length > 0) await rt.takeInbox();
    if (rt.timer.fired) rt.fireDueTimers();
    if (rt.dirty) await rt.project();
    if (isFinished()) break;
    if (shouldContinueAsNew()) {
      await condition(() => allHandlersFinished() && drainers.every((d) => !d.busy));
      if (!rt.dirty && rt.inbox.length === 0) await continueAsNew<typeof conversationWorkflow>({ ...input, carried: rt.carry(outbound.lastSentAt), pendingInbound: [] });
    }
  }

  await condition(allHandlersFinished);
  if (rt.afterClose.length > 0 || rt.callsAfterClose.length > 0) {
    // The customer wrote (or called) again as the conversation closed: that starts the next one, nothing is lost.
    await continueAsNew<typeof conversationWorkflow>({
      conversation: input.conversation,
      pendingInbound: rt.afterClose,
      ...(rt.callsAfterClose.length > 0 ? { pendingCalls: rt.callsAfterClose } : {}),
      maxHistoryEvents: input.maxHistoryEvents,
    });
  }
  return { conversationId: input.conversation.conversationId, closedReason: rt.snapshot.context.closedReason, revision: rt.revision };
}
