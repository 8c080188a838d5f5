import { ApplicationFailure, patched, proxyLocalActivities, proxySinks } from '@temporalio/workflow';
import { initialTransition, transition } from 'xstate';
import type { ConversationActivities } from '../activities/activities.types';
import { toEffects } from '../machines/conversation.effects';
import { conversationMachine } from '../machines/conversation.machine';
import { timerEventFor } from '../machines/conversation.rules';
import { persistConversation, restoreConversation } from '../machines/conversation.snapshot';
import { mayAgentWrite, refusalFor, toConversationStatus, type ConversationSnapshot } from '../machines/conversation.status';
import { timelineRecordOf, timelineStartOf } from '../machines/conversation.timeline';
import type { ConversationEvent, FetchMediaEffect, HandOffEffect, OutboundContent, SendMessageEffect, Sender, TimerId } from '../machines/conversation.types';
import type { SettingsRead } from '../activities/settings.activities';
import type { CarriedState, ConversationWorkflowInput, CustomerCall, CustomerReaction, InboundMessage } from './conversation.messages';
import { TIMELINE_SINK, type ConversationSinks } from './conversation.sinks';
import { LocalActivityLine } from './support/local-activity-line';
import { RecentIds } from './support/recent-ids';
import { customerMessageEvent, keptRead, reusableRead, type ClosedHoursPatches, type KeptRead } from './support/settings-reads';
import { EarliestTimer } from './support/workflow-helpers';
import { SipChat } from './conversation.sipchat';

// Called only through the conversation's LocalActivityLine (`through`): one local activity in flight at a time.
const storeActivities = proxyLocalActivities<Pick<ConversationActivities, 'recordConversation' | 'conversationSettings'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

// Sink calls create no commands: running conversations replay unchanged with or without them.
const timeline = proxySinks<ConversationSinks>()[TIMELINE_SINK];

/** A business refusal of an Update: the caller is told why, nothing is recorded. */
export const refusal = (type: string) => ApplicationFailure.create({ type, message: type, nonRetryable: true });

/**
 * Everything one conversation run holds: the machine snapshot, its timers, the queues its effects fill (outbox,
 * media fetches, hand-offs), the ids already handled, and what crosses continue-as-new ({@link carry}). Handlers
 * and the workflow's loop act on it; only {@link dispatch} advances the machine.
 *
 * Deterministic: it reads the clock through the workflow's `Date.now()` and runs activities only as local
 * activities through one {@link LocalActivityLine}; its `patched()` calls run once, in the constructor, in the order
 * the committed histories recorded them (the SIP chat's own, `sip-chat-page-mode`, runs when a chat call first
 * begins: see {@link SipChat}).
 */
export class ConversationRuntime {
  snapshot: ConversationSnapshot;
  readonly timers: Partial<Record<TimerId, number>>;
  readonly outbox: SendMessageEffect[];
  readonly mediaQueue: FetchMediaEffect[];
  readonly handOffQueue: HandOffEffect[];
  /** Customer messages waiting for the settings read that precedes them. */
  readonly inbox: InboundMessage[] = [];
  /** Customer messages that arrived as the conversation closed: they start the next run. */
  readonly afterClose: InboundMessage[] = [];
  /** Calls that arrived as the conversation closed: they open the next run's window. */
  readonly callsAfterClose: CustomerCall[] = [];
  /** The conversation's start time (epoch ms): the read model keeps the newest run's projection. */
  readonly generation: number;
  revision: number;
  /** The machine moved since the read model was last written. */
  dirty: boolean;
  readonly timer: EarliestTimer;
  readonly localActivities: LocalActivityLine;
  /** The chat in the agent's SIP dialog (page mode): lines queued as the machine moves. */
  readonly chat: SipChat;
  private readonly recentInbound: RecentIds;
  /** Send ids seen lately: a retry after continue-as-new, beyond Temporal's own Update dedupe, is taken once. */
  readonly recentSends: RecentIds;
  private handledInbound: string[] = [];
  /** Sends accepted since the last projection: it stores them as queued (see RecordConversationInput). */
  private queuedSends: SendMessageEffect[] = [];
  private readonly readsSettings: boolean;
  /** Reuses the last settings read while nothing it depends on can have changed (`patched('settings-read-when-changed')`). */
  private readonly reusesSettings: boolean;
  private lastRead: KeptRead | undefined;
  /** Outside business hours the welcome waits for opening hours, and routing for the opening (the `opening` timer). */
  private readonly closedHours: ClosedHoursPatches;
  private readonly store: typeof storeActivities;

  constructor(private readonly input: ConversationWorkflowInput) {
    const carried = input.carried;
    // A run of older code may carry a snapshot of an older schema: migrated here, before the machine sees it.
    this.snapshot = carried
      ? restoreConversation(carried.snapshot, Object.keys(carried.timers) as TimerId[])
      : initialTransition(conversationMachine, input.conversation)[0];
    this.timers = { ...carried?.timers };
    this.outbox = [...(carried?.outbox ?? [])];
    this.mediaQueue = [...(carried?.mediaQueue ?? [])];
    this.handOffQueue = [...(carried?.handOffQueue ?? [])];
    this.recentInbound = new RecentIds(carried?.recentInboundIds);
    this.recentSends = new RecentIds(carried?.recentSendIds);
    this.generation = carried?.generation ?? Date.now();
    this.revision = carried?.revision ?? 0;
    this.dirty = carried === undefined;
    this.chat = new SipChat(carried?.sipChat);
    // Customer messages wait in the inbox for the settings read that precedes them; runs from before it dispatch at once.
    this.readsSettings = patched('settings-read-through');
    this.localActivities = new LocalActivityLine(patched('local-activities-one-at-a-time'));
    this.store = this.localActivities.through(storeActivities);
    // Runs from before it cancel and re-arm the timer each time the earliest deadline moves (every customer message).
    this.timer = new EarliestTimer(patched('timer-kept-armed'));
    this.reusesSettings = patched('settings-read-when-changed');
    // Runs from before them welcome beside the out-of-hours notice, route only at the next message in opening hours, and
    // count the idle period from the window's close even while waiting for the opening (closed idle before it).
    this.closedHours = {
      welcomeWaits: patched('welcome-waits-for-opening-hours'),
      routesAtOpening: patched('routes-at-opening'),
      idleWaitsForOpening: patched('idle-waits-for-opening'),
    };
    timeline.started(timelineStartOf(this.snapshot, this.generation, carried !== undefined, Date.now()));
  }

  get isDone(): boolean {
    return this.snapshot.status === 'done';
  }

  /** Advances the machine by one event and files its effects: timers into the table, the rest into their queues. */
  dispatch(event: ConversationEvent): void {
    const [next, actions] = transition(conversationMachine, this.snapshot, event);
    timeline.transitioned(timelineRecordOf(event, this.snapshot, next));
    const [before, effects] = [this.snapshot, toEffects(actions)];
    this.snapshot = next;
    this.revision += 1;
    this.dirty = true;
    for (const effect of effects) {
      switch (effect.type) {
        case 'startTimer':
          this.timers[effect.params.timerId] = effect.params.at;
          break;
        case 'cancelTimer':
          delete this.timers[effect.params.timerId];
          break;
        case 'sendMessage':
          this.outbox.push(effect.params);
          this.queuedSends.push(effect.params);
          break;
        case 'fetchMedia':
          this.mediaQueue.push(effect.params);
          break;
        case 'askBot':
        case 'routeToAgent':
        case 'releaseAgent':
          this.handOffQueue.push(effect);
          break;
      }
    }
    this.chat.observe(event, before, next, effects);
    this.armTimer();
  }

  armTimer(): void {
    this.timer.arm(Object.values(this.timers));
  }

  /** A customer message from the signal: once per id (Meta retries webhooks for days), after the settings read. */
  receive(message: InboundMessage): void {
    if (!this.recentInbound.add(message.messageId)) return;
    if (this.isDone) {
      this.afterClose.push(message);
      return;
    }
    if (this.readsSettings) {
      this.inbox.push(message);
      return;
    }
    this.handledInbound.push(message.messageId);
    this.dispatch({ type: 'customer.messageReceived', ...message, at: Date.now() });
  }

  /**
   * The customer called: once per call id (kept with the message ids, so across continue-as-new too), at once (the
   * window needs no settings; nothing is routed or answered for a call).
   */
  called(call: CustomerCall): void {
    if (!this.recentInbound.add(`call:${call.callId}`)) return;
    if (this.isDone) {
      this.callsAfterClose.push(call);
      return;
    }
    this.dispatch({ type: 'customer.called', callId: call.callId, calledAt: call.calledAt, at: Date.now() });
  }

  /** The customer reacted to a message: once per reaction id, an agent chatting over SIP is told (nothing else moves). */
  reacted(reaction: CustomerReaction): void {
    if (!this.recentInbound.add(`reaction:${reaction.reactionId}`)) return;
    this.chat.reaction(reaction);
  }

  /**
   * Reads the published configuration (a local activity, so the version used is in the history), applies it if it
   * changed, then hands the waiting customer messages to the machine.
   */
  async takeInbox(): Promise<void> {
    const first = this.inbox[0]!;
    const read = this.reusableRead() ?? (await this.readSettings(first));
    if (JSON.stringify(read.settings) !== JSON.stringify(this.snapshot.context.settings)) {
      this.dispatch({ type: 'settings.applied', settings: read.settings, at: Date.now() });
    }
    for (const message of this.inbox.splice(0)) {
      // Closed while the read ran: the message starts the next conversation instead.
      if (this.isDone) {
        this.afterClose.push(message);
        continue;
      }
      this.handledInbound.push(message.messageId);
      this.dispatch(customerMessageEvent(message, read, message === first, this.closedHours, Date.now()));
    }
  }

  private async readSettings(first: InboundMessage): Promise<SettingsRead> {
    const { businessNumberId, customer } = this.input.conversation;
    const read = await this.store.conversationSettings({ businessNumberId, customerKey: customer.key, messageId: first.messageId, at: Date.now(), sentAt: first.sentAt });
    if (this.reusesSettings) {
      // A read that must not be reused (a legacy number's) also ends the reuse of the one before it.
      this.lastRead = keptRead(read);
    }
    return read;
  }

  /** The last read again, without a local activity, while it holds (support/settings-reads.ts `reusableRead`). */
  private reusableRead(): SettingsRead | undefined {
    return reusableRead(this.lastRead, Date.now(), this.inbox, this.snapshot.context.settings);
  }

  /** The Update validators' check: throws the refusal (template_required, not_assigned…) or returns. */
  refuseSend(message: OutboundContent, sender: Sender): void {
    const why = refusalFor(this.snapshot, message, Date.now(), sender);
    if (why) throw refusal(why);
  }

  /** Only the agent holding a conversation writes in it, transfers it or closes it (with routing on). */
  refuseUnlessAgentMayWrite(sender: Sender): void {
    if (sender.kind === 'agent' && !this.isDone && !mayAgentWrite(this.snapshot, sender.id)) throw refusal('not_assigned');
  }

  status() {
    return toConversationStatus(this.snapshot, Date.now());
  }

  /** Turns the timers that are due into their machine events. */
  fireDueTimers(): void {
    this.timer.take();
    const now = Date.now();
    for (const [timerId, due] of Object.entries(this.timers) as [TimerId, number][]) {
      if (due > now) continue;
      delete this.timers[timerId];
      this.dispatch({ type: timerEventFor[timerId], at: now });
    }
    this.armTimer();
  }

  /**
   * Writes the read model, marks the customer messages handled (so their redeliveries stop at the API) and stores the
   * sends accepted since as queued (so the thread lists them while they wait their turn at WhatsApp).
   */
  async project(): Promise<void> {
    const inboundIds = this.handledInbound;
    const queuedSends = this.queuedSends;
    this.handledInbound = [];
    this.queuedSends = [];
    this.dirty = false;
    await this.store.recordConversation({
      status: this.status(),
      generation: this.generation,
      revision: this.revision,
      handledInboundIds: inboundIds,
      ...(queuedSends.length > 0 ? { queuedSends } : {}),
    });
  }

  /** Plain JSON for continue-as-new: no Map, Set, Date or class instance crosses. */
  carry(lastSentAt: number | undefined): CarriedState {
    return {
      snapshot: persistConversation(this.snapshot),
      timers: this.timers,
      outbox: this.outbox,
      mediaQueue: this.mediaQueue,
      ...(this.handOffQueue.length > 0 ? { handOffQueue: this.handOffQueue } : {}),
      recentInboundIds: this.recentInbound.toJSON(),
      recentSendIds: this.recentSends.toJSON(),
      generation: this.generation,
      revision: this.revision,
      ...(lastSentAt === undefined ? {} : { lastSentAt }),
      ...(this.chat.active ? { sipChat: this.chat.state } : {}),
    };
  }
}
